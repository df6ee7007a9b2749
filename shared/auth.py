"""Who is calling, and may they: OpenID Connect bearer tokens from a council's identity
provider (Microsoft Entra ID and the like), checked against the provider's published keys.

A token is accepted only when its signature verifies with a key from the provider's JWKS (an
asymmetric algorithm from the allowed list: never ``none``, never an HMAC, so a public key can
never be used as a shared secret), its issuer and audience are ours, and it is within its
``exp``/``nbf``. Roles and councils come from configurable claims. Partner systems (OAuth2
client credentials, role ``partner``) act for the councils configured for their client id. A
token that passed is not checked again until its ``exp`` while its key is still published
(``VerifiedTokens``): it would pass again, and nothing else revokes a token before its ``exp``.

People outside the council sign in too, each scoped by a claim of their own besides the
councils: a school's SENCo (role ``school``) to the school's URNs (``school_urns``), a
specialist's practitioner (role ``specialist``) to their registry entry (``registry_entry``).
The services decide what each may see within that scope (their pupils; the children allocated
to them), on routes of their own.

Routes declare who may call them in their decorator, ``dependencies=[allow(Role.CASEWORKER)]``,
which FastAPI runs before anything else the route needs; ``tests/integration/test_access.py``
walks every route of every service and fails if one is reachable without its roles.

(Longer than most modules: token checks, key rotation and the routes' role checks are one
security boundary, reviewed together.)
"""

from __future__ import annotations

import enum
import hashlib
import math
import re
import time
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.http import Problem
from shared.signing_keys import KeyNotPublished, ProviderUnavailable, SigningKeys


class Role(enum.StrEnum):
    CASEWORKER = "caseworker"
    MANAGER = "manager"
    AUDITOR = "auditor"
    PARTNER = "partner"
    SCHOOL = "school"
    """A school's or college's SENCo: their pupils only (``Principal.school_urns``)."""
    SPECIALIST = "specialist"
    """A practitioner of a registry entry: the children allocated to it
    (``Principal.registry_entries``)."""


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: ids and codes only (it goes into the audit trail)."""

    subject: str
    roles: frozenset[str]
    councils: tuple[str, ...]
    token_id: str | None = None
    school_urns: tuple[str, ...] = ()
    """A school's URNs (role ``school``): the pupils it may see are the children whose school
    is one of them."""
    registry_entries: tuple[UUID, ...] = ()
    """A specialist's registry entries (role ``specialist``): the children allocated to them."""


@dataclass
class IdentityProvider:
    """An OIDC issuer's settings and its signing keys (``shared.signing_keys``: fetched once
    and again on an unknown ``kid``, key rotation, at most every ``refresh_interval_s``; one
    fetch at a time, with backoff after a failure)."""

    issuer: str
    audience: str
    jwks_url: str | None = None
    roles_claim: str = "roles"
    councils_claim: str = "local_authorities"
    school_urns_claim: str = "school_urns"
    registry_entry_claim: str = "registry_entry"
    algorithms: tuple[str, ...] = ("RS256", "PS256", "ES256")
    partner_councils: dict[str, list[str]] = field(default_factory=dict)
    refresh_interval_s: float = 30.0
    clock: Callable[[], float] = time.time
    """Now, in seconds since the epoch (a token's ``exp``): a test's own clock."""
    signing_keys: SigningKeys = field(init=False, repr=False)
    verified: VerifiedTokens = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.signing_keys = SigningKeys(
            self.issuer, self.jwks_url, refresh_interval_s=self.refresh_interval_s
        )
        self.verified = VerifiedTokens()

    async def principal(self, token: str) -> Principal:
        """The caller ``token`` proves, or ``HTTPException`` 401 saying why not.

        A token verified before is not verified again until its ``exp`` (``VerifiedTokens``)
        while the key that signed it is still published: the same caller, found without
        PyJWT decoding it again (the route's largest own cost after its SQL, issue #25)."""
        digest = hashlib.sha256(token.encode()).digest()
        kept = self.verified.get(digest, self.clock())
        if kept is not None:
            if await self._still_published(kept):
                return kept.principal
            self.verified.forget(digest)  # checked in full again, and kept again if it passes
        principal, kid, key, expires = await self._verify(token)
        self.verified.keep(digest, _Verified(principal, kid, key, expires), self.clock())
        return principal

    async def _still_published(self, kept: _Verified) -> bool:
        """Whether the key that signed a token verified before is the one published under
        its ``kid`` now (a fetch of the keys, key rotation, replaces every one)."""
        try:
            return await self._key(kept.kid) is kept.key
        except HTTPException:  # no longer published, or cannot tell: checked in full
            return False

    async def _verify(self, token: str) -> tuple[Principal, str, jwt.PyJWK, float]:
        """``token`` checked in full: its caller, the ``kid`` and key that signed it, and
        its ``exp``."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthorised("the bearer token is not a JWT") from exc
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            raise unauthorised(f"tokens signed with {algorithm!r} are not accepted")
        key = await self._key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=30,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise unauthorised(f"the token was refused: {exc}") from exc
        roles = frozenset(_strings(claims.get(self.roles_claim)))
        client = str(claims.get("azp") or claims["sub"])
        if Role.PARTNER in roles:
            councils = self.partner_councils.get(client, [])
        else:
            councils = _strings(claims.get(self.councils_claim))
        principal = Principal(
            str(claims["sub"]),
            roles,
            tuple(councils),
            claims.get("jti"),
            school_urns=tuple(_urns(claims.get(self.school_urns_claim))),
            registry_entries=tuple(_entries(claims.get(self.registry_entry_claim))),
        )
        return principal, header["kid"], key, float(claims["exp"])

    async def _key(self, kid: Any) -> jwt.PyJWK:
        if not isinstance(kid, str):
            raise unauthorised("the token names no signing key (kid)")
        try:
            return await self.signing_keys.key(kid)
        except KeyNotPublished as exc:
            raise unauthorised(
                "the token's signing key is not one the identity provider publishes"
            ) from exc
        except ProviderUnavailable as exc:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "cannot reach the identity provider to check the token; try again shortly",
                headers={"Retry-After": str(max(1, math.ceil(exc.retry_after_s)))},
            ) from exc


@dataclass(frozen=True)
class _Verified:
    """A token verified in full: its caller, the key that signed it (by ``kid``), and its
    ``exp`` (seconds since the epoch)."""

    principal: Principal
    kid: str
    key: jwt.PyJWK
    expires: float


@dataclass
class VerifiedTokens:
    """Tokens verified in full, by the SHA-256 of the token (never the token itself), each
    until its ``exp``: never longer (a full check would still allow the token ``leeway``
    seconds past it, and does), and never a token that was refused. At most ``limit``:
    when full, the expired go, then the oldest."""

    limit: int = 10_000
    _kept: dict[bytes, _Verified] = field(default_factory=dict, repr=False)

    def get(self, digest: bytes, now: float) -> _Verified | None:
        """The token's verification, while it is before its ``exp``."""
        kept = self._kept.get(digest)
        if kept is None:
            return None
        if now >= kept.expires:
            del self._kept[digest]
            return None
        return kept

    def keep(self, digest: bytes, verified: _Verified, now: float) -> None:
        if now >= verified.expires:
            return
        if len(self._kept) >= self.limit:
            self._kept = {d: v for d, v in self._kept.items() if now < v.expires}
            while len(self._kept) >= self.limit:
                del self._kept[next(iter(self._kept))]  # the oldest kept
        self._kept[digest] = verified

    def forget(self, digest: bytes) -> None:
        self._kept.pop(digest, None)

    def __len__(self) -> int:
        return len(self._kept)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _urns(value: Any) -> list[str]:
    """A scope claim's URNs: six digits each; anything else scopes to nothing."""
    return [u for u in _strings(value) if _URN.fullmatch(u)]


def _entries(value: Any) -> list[UUID]:
    """A scope claim's registry entries: ids; anything else scopes to nothing."""
    found = []
    for text in _strings(value):
        try:
            found.append(UUID(text))
        except ValueError:
            continue
    return found


_URN = re.compile(r"[0-9]{6}")


def unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="council sign-in",
    description="An access token from the council's identity provider (OpenID Connect), or a "
    "partner system's client-credentials token.",
)

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No token, or a token that was refused"},
    403: {"model": Problem, "description": "The token's roles or councils do not allow this"},
}


_VERIFIED = "bearer_verified"  # in the request's state: (token, its principal or refusal)


async def verified(scope: MutableMapping[str, Any], token: str) -> Principal:
    """The caller ``token`` proves (``IdentityProvider.principal`` of the app's provider), or
    its ``HTTPException``; checked once per request whoever asks first (the rate limits, to
    count a signed-in caller by who they are, then the route's ``allow``), the outcome kept in
    the request's ASGI state for the next."""
    state = scope.setdefault("state", {})
    kept = state.get(_VERIFIED)
    if kept is None or kept[0] != token:
        from shared.state import service_state  # it names this module's types

        provider = service_state(scope["app"]).identity_provider
        try:
            outcome: Principal | HTTPException = await provider.principal(token)
        except HTTPException as refused:
            outcome = refused
        kept = state[_VERIFIED] = (token, outcome)
    outcome = kept[1]
    if isinstance(outcome, HTTPException):
        raise HTTPException(outcome.status_code, outcome.detail, headers=outcome.headers)
    return outcome


class Allow:
    """A route's access rule: the caller must hold one of ``roles``. Use as a route
    dependency (``dependencies=[allow(...)]``); the principal is then ``CurrentPrincipal``."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> Principal:
        if credentials is None:
            raise unauthorised("sign in: this needs an Authorization: Bearer token")
        principal = await verified(request.scope, credentials.credentials)
        if not principal.roles & self.roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"needs one of the roles {sorted(self.roles)}",
            )
        request.state.principal = principal
        return principal


def allow(*roles: Role) -> Any:
    """``Depends(Allow(*roles))``, for a route decorator's ``dependencies``."""
    return Depends(Allow(*roles))


async def current_principal(request: Request) -> Principal:
    """The caller a route's ``allow(...)`` checked (it runs first)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise RuntimeError("route has no allow(...) dependency")  # a bug: caught by the walk
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_council(principal: Principal, councils: Iterable[str]) -> None:
    """403 unless ``principal`` acts for every one of ``councils``."""
    outside = sorted(set(councils) - set(principal.councils))
    if outside:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"not allowed to act for council(s) {', '.join(outside)}"
        )
