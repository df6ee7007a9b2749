"""Signing in with a browser at the development identity provider: FOR DEVELOPMENT AND TESTS
ONLY (see ``devtools.dev_identity``).

The caseworkers' workspace (``services/web``) signs people in as it will at a council's own
provider: the OpenID Connect authorization code flow with PKCE (RFC 7636, ``S256`` only),
refresh tokens, and RP-initiated logout. This module is that provider's side of it, for the
seeded staff: a sign-in page at ``/authorize``, the ``authorization_code`` and
``refresh_token`` grants of ``/token``, an ID token, and ``/end-session``.

State (the issuer's own browser sessions, codes, refresh tokens) is kept in this process's
memory: a restart signs everyone out, as a development tool may.

(Longer than most modules: the authorization request, codes, refresh tokens, logout and the
sign-in page of one flow, read together.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode, urlsplit

from devtools.dev_identity_grants import (
    DEFAULT_AUDIENCE,
    DEFAULT_LIFETIME_S,
    GrantRefused,
    TokenRequest,
    client_credentials,
)
from devtools.dev_identity_seed import (
    DEV_CLIENT_SECRET,
    DEV_PASSWORD,
    STAFF,
    StaffUser,
)

WORKSPACE_CLIENT_ID = "send-workspace"
"""The workspace's client id at the development provider (secret ``DEV_CLIENT_SECRET``)."""

SESSION_COOKIE = "dev_idp_session"
CODE_LIFETIME_S = 60
REFRESH_LIFETIME_S = 8 * 3600
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


@dataclass(frozen=True)
class AuthorizationRequest:
    """What a client asked for at ``/authorize``, checked."""

    client_id: str
    redirect_uri: str
    state: str
    nonce: str | None
    code_challenge: str
    scope: str


@dataclass(frozen=True)
class _Code:
    user: StaffUser
    request: AuthorizationRequest
    session_id: str
    expires_at: float


@dataclass(frozen=True)
class _Refresh:
    user: StaffUser
    client_id: str
    session_id: str
    expires_at: float


@dataclass
class BrowserSignIn:
    """The provider's memory of who signed in with a browser, and what it handed out."""

    sessions: dict[str, StaffUser] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    refresh_tokens: dict[str, _Refresh] = field(default_factory=dict)

    def check_authorization(self, params: dict[str, str]) -> AuthorizationRequest:
        """An ``/authorize`` request as RFC 6749 4.1.1 and RFC 7636 4.3 describe it, or
        ``GrantRefused`` (shown on a page: a bad redirect address is never redirected to)."""
        if params.get("client_id") != WORKSPACE_CLIENT_ID:
            raise GrantRefused("unauthorized_client", f"the client is {WORKSPACE_CLIENT_ID}")
        redirect_uri = params.get("redirect_uri", "")
        if not _local_redirect(redirect_uri):
            raise GrantRefused(
                "invalid_request",
                "redirect_uri must be an http address on this machine (127.0.0.1 or localhost)",
            )
        if params.get("response_type") != "code":
            raise GrantRefused("unsupported_response_type", "response_type must be code")
        if "openid" not in params.get("scope", "").split():
            raise GrantRefused("invalid_scope", "scope must include openid")
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not 43 <= len(challenge) <= 128:
            raise GrantRefused(
                "invalid_request", "PKCE is required: code_challenge with method S256"
            )
        if not params.get("state"):
            raise GrantRefused("invalid_request", "state is required")
        return AuthorizationRequest(
            client_id=WORKSPACE_CLIENT_ID,
            redirect_uri=redirect_uri,
            state=params["state"],
            nonce=params.get("nonce"),
            code_challenge=challenge,
            scope=params["scope"],
        )

    def sign_in(self, username: str, password: str) -> tuple[str, StaffUser]:
        """A new browser session for a seeded member of staff, or ``GrantRefused``."""
        user = STAFF.get(username)
        if user is None or not hmac.compare_digest(password.encode(), DEV_PASSWORD.encode()):
            raise GrantRefused("access_denied", "username or password not recognised")
        session_id = secrets.token_urlsafe(24)
        self.sessions[session_id] = user
        return session_id, user

    def issue_code(self, session_id: str, request: AuthorizationRequest) -> str:
        code = secrets.token_urlsafe(32)
        self.codes[code] = _Code(
            self.sessions[session_id], request, session_id, time.time() + CODE_LIFETIME_S
        )
        return code

    def redeem_code(self, form: dict[str, str], client_id: str) -> tuple[TokenRequest, _Code]:
        """The ``authorization_code`` grant: the code once, its redirect address and its
        PKCE verifier (RFC 7636 4.6)."""
        code = self.codes.pop(form.get("code", ""), None)  # once only, even when refused
        if code is None or code.expires_at < time.time():
            raise GrantRefused("invalid_grant", "the code is unknown, used or expired")
        if code.request.client_id != client_id:
            raise GrantRefused("invalid_grant", "the code was issued to another client")
        if form.get("redirect_uri") != code.request.redirect_uri:
            raise GrantRefused("invalid_grant", "redirect_uri differs from the authorization's")
        verifier = form.get("code_verifier", "")
        if not hmac.compare_digest(_s256(verifier), code.request.code_challenge):
            raise GrantRefused("invalid_grant", "code_verifier does not match the challenge")
        if code.session_id not in self.sessions:
            raise GrantRefused("invalid_grant", "the sign-in has ended")
        return _staff_request("authorization_code", code.user, client_id), code

    def issue_refresh(self, user: StaffUser, client_id: str, session_id: str) -> str:
        token = secrets.token_urlsafe(32)
        self.refresh_tokens[token] = _Refresh(
            user, client_id, session_id, time.time() + REFRESH_LIFETIME_S
        )
        return token

    def redeem_refresh(self, form: dict[str, str], client_id: str) -> tuple[TokenRequest, _Refresh]:
        """The ``refresh_token`` grant; each refresh token is used once (rotation)."""
        held = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
        if held is None or held.expires_at < time.time() or held.client_id != client_id:
            raise GrantRefused("invalid_grant", "the refresh token is unknown, used or expired")
        if held.session_id not in self.sessions:
            raise GrantRefused("invalid_grant", "the sign-in has ended")
        return _staff_request("refresh_token", held.user, client_id), held

    def end_session(self, session_id: str | None) -> None:
        """Sign out at the provider: the browser session and every refresh token of it."""
        if session_id is None:
            return
        self.sessions.pop(session_id, None)
        for token, held in list(self.refresh_tokens.items()):
            if held.session_id == session_id:
                del self.refresh_tokens[token]


def workspace_client(form: dict[str, str], authorization: str | None) -> str:
    """The workspace client's id, authenticated by its secret in the form or by HTTP Basic."""
    client_id, secret, challenge = client_credentials(form, authorization)
    if client_id != WORKSPACE_CLIENT_ID or not hmac.compare_digest(
        secret.encode(), DEV_CLIENT_SECRET.encode()
    ):
        raise GrantRefused(
            "invalid_client", "client id or secret not recognised", status_code=401,
            headers=challenge,
        )  # fmt: skip
    return client_id


def _staff_request(grant_type: str, user: StaffUser, client_id: str) -> TokenRequest:
    return TokenRequest(
        grant_type=grant_type,
        subject=user.username,
        roles=user.roles,
        local_authorities=user.local_authorities,
        client_id=None,  # a person, not a partner system: no azp in the access token
        audience=DEFAULT_AUDIENCE,
        expires_in=DEFAULT_LIFETIME_S,
        scope=tuple(user.scope_claims().items()),
    )


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def _local_redirect(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    host = parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[0] if parts.netloc else ""
    return parts.scheme == "http" and host in LOCAL_HOSTS and not parts.fragment


def redirect_with(uri: str, **params: str) -> str:
    """``uri`` with ``params`` added to its query."""
    joiner = "&" if urlsplit(uri).query else "?"
    return f"{uri}{joiner}{urlencode(params)}"


def sign_in_page(params: dict[str, str], error: str | None = None) -> str:
    """The provider's sign-in form: the seeded staff to choose from (development only)."""
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in params.items()
        if k not in {"username", "password"}
    )
    options = "".join(
        f'<option value="{escape(name)}">{escape(name)} ({", ".join(user.roles)})</option>'
        for name, user in STAFF.items()
    )
    problem = f'<p role="alert" class="error">{escape(error)}</p>' if error else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: development identity provider</title>
<style>body{{font-family:arial,sans-serif;max-width:30em;margin:2em auto;padding:0 1em}}
label,select,input,button{{display:block;font-size:1.1em;margin:.4em 0}}
.error{{color:#d4351c;font-weight:bold}} .warning{{background:#fff7bf;padding:.5em}}</style>
</head><body><main>
<h1>Sign in</h1>
<p class="warning">Development identity provider: for development and tests only. Every
password is <strong>{escape(DEV_PASSWORD)}</strong>.</p>
{problem}
<form method="post" action="/authorize">{hidden}
<label for="username">Who you are</label>
<select id="username" name="username">{options}</select>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button>
</form></main></body></html>"""


def signed_out_page() -> str:
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head>
<body><main><h1>You have signed out</h1></main></body></html>"""
