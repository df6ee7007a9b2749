"""The link an adviser is sent when a council asks for their advice (SEND Regulations 2014,
reg 6): a signed, expiring token scoped to one referral and one kind of advice, so an
educational psychologist, a designated medical officer or a social worker can see what is
asked and return their advice with no account.

Made as a family's link is (``shared.family_links``: notifications makes it, with
``FAMILY_LINK_KEY``; referrals checks it) but for another audience: a family's link is never
an adviser's, nor the other way round. A link opens only the adviser's own routes
(``ADVISER_PATH_PREFIX``): what is asked, by when, of whom, and the form to answer it; once
their advice of that kind is received, the link has done its work and answers so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import jwt
from fastapi import Request
from pydantic import SecretStr

from shared.auth import Principal
from shared.family_links import ALGORITHM, ISSUER, MAX_TOKEN_LENGTH
from shared.state import service_of

AUDIENCE = "send-adviser-link"
ADVISER_PATH_PREFIX = "/v1/advisers"
"""The services' routes an adviser's link opens (its token in the path: kept out of traces and
access lines as a family's is)."""

REFUSED = "this link no longer works: ask the council's SEND team for a new one"
"""What every link that cannot be used is told, whatever is wrong with it."""


@dataclass(frozen=True)
class AdviserLink:
    referral_id: UUID
    local_authority: str
    kind: str
    """The kind of advice asked for (``educational_psychology``, ``medical`` ...)."""
    link_id: str


class InvalidAdviserLink(ValueError):
    """Expired, tampered with, or not an adviser's link at all."""


def mint(
    key: SecretStr,
    *,
    referral_id: UUID,
    local_authority: str,
    kind: str,
    valid_for: timedelta,
    now: datetime | None = None,
) -> str:
    """A link token for the ``kind`` of advice asked about ``referral_id``."""
    issued = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(referral_id),
        "la": local_authority,
        "kind": kind,
        "iat": int(issued.timestamp()),
        "exp": int((issued + valid_for).timestamp()),
        "jti": uuid4().hex,
    }
    return jwt.encode(claims, key.get_secret_value(), algorithm=ALGORITHM)


def verify(key: SecretStr, token: str) -> AdviserLink:
    """The link ``token`` is, or ``InvalidAdviserLink`` (``REFUSED``, whatever the reason)."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidAdviserLink(REFUSED)
    try:
        claims = jwt.decode(
            token,
            key.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=30,
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
        kind = claims["kind"]
        if not isinstance(kind, str) or not kind:
            raise ValueError("the link names no kind of advice")
        return AdviserLink(
            referral_id=UUID(claims["sub"]),
            local_authority=str(claims["la"]),
            kind=kind,
            link_id=str(claims["jti"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidAdviserLink(REFUSED) from exc


def principal_of(link: AdviserLink) -> Principal:
    """Who a request holding ``link`` is: the adviser asked for one referral's advice, acting
    for its council only (the audit trail records the link's id, never a person)."""
    return Principal(
        subject=f"adviser-link:{link.link_id}",
        roles=frozenset({"adviser"}),
        councils=(link.local_authority,),
        token_id=link.link_id,
    )


def admit(request: Request, token: str) -> AdviserLink:
    """The link ``token`` is, checked with the service's link key, or ``InvalidAdviserLink``;
    the request then acts as that link's adviser (its principal)."""
    link = verify(service_of(request).family_link_key, token)
    request.state.principal = principal_of(link)
    return link
