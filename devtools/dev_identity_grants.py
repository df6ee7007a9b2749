"""What the development identity provider's token endpoint accepts: FOR DEVELOPMENT AND TESTS
ONLY (see ``devtools.dev_identity``).

A request is read as OAuth 2.0 clients send it (RFC 6749: form-encoded; client id and secret
in the form or by HTTP Basic) and checked against the seeded identities: staff by the password
grant (which OAuth 2.1 drops; kept here only so that a person at a terminal can get a token
with one curl), partner systems by client credentials. Refusals are RFC 6749 section 5.2
errors that say what to send instead.
"""

from __future__ import annotations

import hmac
from base64 import b64decode
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from devtools.dev_identity_seed import DEV_PASSWORD, PARTNERS, STAFF

DEFAULT_AUDIENCE = "send-platform"
DEFAULT_LIFETIME_S = 3600
MAX_LIFETIME_S = 86400
FORM = "application/x-www-form-urlencoded"


class GrantRefused(Exception):
    """A token request refused, as an RFC 6749 section 5.2 error answer."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status_code: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status_code = status_code
        self.headers = headers or {}


@dataclass(frozen=True)
class TokenRequest:
    """A token request whose identity has been checked: what the token will say."""

    grant_type: str
    subject: str
    roles: tuple[str, ...]
    local_authorities: tuple[str, ...]
    client_id: str | None
    audience: str
    expires_in: int
    scope: tuple[tuple[str, object], ...] = ()
    """Claims scoping a person outside the council (``StaffUser.scope_claims``)."""

    def identity_claims(self) -> dict[str, object]:
        """Who the token is for: ids and roles only, never a person's name."""
        claims: dict[str, object] = {
            "sub": self.subject,
            "roles": list(self.roles),
            "local_authorities": list(self.local_authorities),
            **dict(self.scope),
        }
        if self.client_id is not None:
            claims["azp"] = self.client_id
        return claims


def read_request(content_type: str | None, body: bytes, authorization: str | None) -> TokenRequest:
    """Read and check one request to the token endpoint; raises ``GrantRefused``."""
    form = form_of(content_type, body)
    grant_type = form.get("grant_type")
    audience = form.get("audience", DEFAULT_AUDIENCE)
    expires_in = _lifetime(form.get("expires_in"))
    if grant_type == "password":
        user = STAFF.get(form.get("username", ""))
        if user is None or not _same(form.get("password", ""), DEV_PASSWORD):
            raise GrantRefused(
                "invalid_grant",
                f"username or password not recognised; the seeded staff are "
                f"{', '.join(STAFF)} (password: {DEV_PASSWORD})",
            )
        return TokenRequest(
            grant_type=grant_type,
            subject=user.username,
            roles=user.roles,
            local_authorities=user.local_authorities,
            client_id=None,
            audience=audience,
            expires_in=expires_in,
            scope=tuple(user.scope_claims().items()),
        )
    if grant_type == "client_credentials":
        client_id, secret, challenge = client_credentials(form, authorization)
        client = PARTNERS.get(client_id)
        if client is None or not _same(secret, client.client_secret):
            raise GrantRefused(
                "invalid_client",
                f"client id or secret not recognised; the seeded partner clients are "
                f"{', '.join(PARTNERS)}",
                status_code=401,
                headers=challenge,
            )
        return TokenRequest(
            grant_type=grant_type,
            subject=client.client_id,
            roles=client.roles,
            local_authorities=client.local_authorities,
            client_id=client.client_id,
            audience=audience,
            expires_in=expires_in,
        )
    if grant_type is None:
        raise GrantRefused("invalid_request", "grant_type is missing")
    raise GrantRefused(
        "unsupported_grant_type",
        f"grant_type {grant_type!r} is not offered; use password or client_credentials "
        "(or, from the workspace, authorization_code and refresh_token)",
    )


def form_of(content_type: str | None, body: bytes) -> dict[str, str]:
    # Parsed here rather than by FastAPI's Form, which needs python-multipart for this alone.
    if (content_type or "").split(";")[0].strip().lower() != FORM:
        raise GrantRefused("invalid_request", f"send the parameters as {FORM}")
    try:
        # Blank values are dropped: RFC 6749 section 3.1 treats them as omitted.
        pairs = parse_qsl(body.decode(), strict_parsing=False, errors="strict")
    except UnicodeDecodeError as exc:
        raise GrantRefused("invalid_request", "the form is not UTF-8") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise GrantRefused("invalid_request", f"{name} is given more than once")
        form[name] = value
    return form


def _lifetime(given: str | None) -> int:
    if given is None:
        return DEFAULT_LIFETIME_S
    try:
        seconds = int(given)
    except ValueError:
        seconds = -1
    # 0 is allowed on purpose: a token already expired, so tests of expiry need not wait.
    if not 0 <= seconds <= MAX_LIFETIME_S:
        raise GrantRefused(
            "invalid_request", f"expires_in must be whole seconds from 0 to {MAX_LIFETIME_S}"
        )
    return seconds


def client_credentials(
    form: dict[str, str], authorization: str | None
) -> tuple[str, str, dict[str, str]]:
    """Client id, secret and the challenge to send back if they are wrong (RFC 6749 2.3.1)."""
    if authorization is None:
        if "client_id" not in form or "client_secret" not in form:
            raise GrantRefused(
                "invalid_client",
                "send client_id and client_secret in the form or by HTTP Basic",
                status_code=401,
            )
        return form["client_id"], form["client_secret"], {}
    challenge = {"WWW-Authenticate": 'Basic realm="send-dev-identity"'}
    scheme, _, encoded = authorization.partition(" ")
    try:
        if scheme.lower() != "basic":
            raise ValueError(scheme)
        client_id, colon, secret = b64decode(encoded, validate=True).decode().partition(":")
        if not colon:
            raise ValueError("no colon")
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise GrantRefused(
            "invalid_client",
            "Authorization must be Basic base64(client_id:client_secret)",
            status_code=401,
            headers=challenge,
        ) from exc
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if "client_secret" in form or form.get("client_id", client_id) != client_id:
        raise GrantRefused(
            "invalid_request", "authenticate the client one way: HTTP Basic or the form, not both"
        )
    return client_id, secret, challenge


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
