"""The link a family is sent: a signed, expiring token scoped to one referral, so a parent
(or a young person who asked for help themselves) can see where things stand with no account.

Notifications puts it in each message; referrals (the family view) and plans (the family's
plan) check it with ``admit``. All three hold ``FAMILY_LINK_KEY``. A caseworker can revoke a
referral's links: each revocation starts a new generation of the referral's links, and a link
of an earlier generation stops working. A link carries the generation its issuer knew when it
made it (notifications hears of revocations from ``FamilyLinksRevoked``); referrals keeps the
generation with the referral, plans a copy from the event, and each checks its own. Counting
generations, not comparing moments, makes revocation independent of clocks: a link's ``iat``
comes from the issuing process's clock, in whole seconds, a revocation's moment from
referrals' database, and a link made in the revocation's second or by a clock running ahead
outlived it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID, uuid4

import jwt
from fastapi import Path, Request
from pydantic import SecretStr

from shared.auth import Principal
from shared.state import service_of

ISSUER = "send-platform"
AUDIENCE = "send-family-view"
CONFIRMATION_AUDIENCE = "send-request-confirmation"
"""A link that confirms a request made on the public form (``referrals.public``): signed with
the same key, but for another audience, so neither kind of link opens what the other does."""
ALGORITHM = "HS256"  # one party signs and checks; never accepted on the staff routes
MAX_TOKEN_LENGTH = 2000  # a link is about 300 characters; anything longer is not one

REFUSED = "this link no longer works: use the link in your latest message"
"""What every link that cannot be used is told, whatever is wrong with it (expired, forged,
shortened or wrapped by an email client, made up): the same plain answer, which neither
quotes the link nor says how far it got."""

LinkToken = Annotated[str, Path(description="The link's token, from the family's message")]
"""The token in a family route's path. Unconstrained on purpose: a constraint FastAPI checks
(a length) would answer a short link with 422 instead of the plain refusal, and FastAPI goes on
to the route's other dependencies after a parameter fails (one of which found no principal and
answered 500). ``verify`` checks everything about it."""


@dataclass(frozen=True)
class FamilyLink:
    referral_id: UUID
    local_authority: str
    issued_at: datetime
    link_id: str
    generation: int = 0
    """The referral's link generation its issuer knew: 0 until the first revocation (and on a
    link made before generations were counted)."""


class InvalidFamilyLink(ValueError):
    """Expired, tampered with, or not a family link at all."""


def mint(
    key: SecretStr,
    *,
    referral_id: UUID,
    local_authority: str,
    valid_for: timedelta,
    generation: int = 0,
    now: datetime | None = None,
    audience: str = AUDIENCE,
) -> str:
    """A link token for ``referral_id``, valid for ``valid_for`` from ``now``, of the link
    ``generation`` the issuer knows for the referral (the revocations it has heard of), for
    ``audience`` (the family view's, or ``CONFIRMATION_AUDIENCE``)."""
    issued = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": str(referral_id),
        "la": local_authority,
        "gen": generation,
        "iat": int(issued.timestamp()),
        "exp": int((issued + valid_for).timestamp()),
        "jti": uuid4().hex,
    }
    return jwt.encode(claims, key.get_secret_value(), algorithm=ALGORITHM)


def verify(key: SecretStr, token: str, *, audience: str = AUDIENCE) -> FamilyLink:
    """The link ``token`` is, for ``audience``, or ``InvalidFamilyLink`` (``REFUSED``, whatever
    the reason)."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidFamilyLink(REFUSED)
    try:
        claims = jwt.decode(
            token,
            key.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            leeway=30,  # an issuer's clock a little ahead does not refuse a fresh link
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
        generation = claims.get("gen", 0)
        if type(generation) is not int or generation < 0:
            raise ValueError("the link's generation is not a count")
        return FamilyLink(
            referral_id=UUID(claims["sub"]),
            local_authority=str(claims["la"]),
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
            link_id=str(claims["jti"]),
            generation=generation,
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidFamilyLink(REFUSED) from exc


def principal_of(link: FamilyLink) -> Principal:
    """Who a request holding ``link`` is: the family of one referral, acting for its council
    only (the audit trail records the link's id, never a person)."""
    return Principal(
        subject=f"family-link:{link.link_id}",
        roles=frozenset({"family"}),
        councils=(link.local_authority,),
        token_id=link.link_id,
    )


def admit(request: Request, token: str) -> FamilyLink:
    """The link ``token`` is, checked with the service's key (``ServiceState.family_link_key``),
    or ``InvalidFamilyLink``; the request then acts as that link's family (its principal).

    Whether the link was revoked since is the caller's to check, in its own database.
    """
    link = verify(service_of(request).family_link_key, token)
    request.state.principal = principal_of(link)
    return link
