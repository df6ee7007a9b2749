"""Signing people in and out: OpenID Connect's authorization code flow with PKCE (S256) at the
council's identity provider, through Authlib; RP-initiated logout; refresh tokens.

A page that needs someone signed in depends on ``signed_in`` (or ``with_role(...)``): without
a session it answers with the sign-in page, and a form posted after the session ended keeps
its answers (``saved_forms``) for after signing in again. Every form carries the session's
CSRF token (``csrf_token``), checked by ``checked_form`` before anything is read from it.

(Longer than most modules: sign-in, sign-out, token refresh, CSRF and the answers kept when a
session ends are one security boundary, reviewed together.)
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from web import pages
from web.backends import Unavailable
from web.config import WebSettings
from web.sessions import Session, session_of
from web.state import state_of

logger = logging.getLogger(__name__)

REFRESH_BEFORE_S = 60
"""An access token this close to expiry is refreshed before a page uses it."""


@dataclass(frozen=True)
class User:
    """Who is signed in: ids, roles and councils (from the ID token), and their tokens."""

    subject: str
    roles: frozenset[str]
    councils: tuple[str, ...]
    access_token: str

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


class MustSignIn(Exception):
    """No session (or it ended): the sign-in page, then back to ``then``."""

    def __init__(self, then: str, *, timed_out: bool = False) -> None:
        self.then = then
        self.timed_out = timed_out


class NotAllowed(Exception):
    """Signed in, but their roles do not open this page."""


class BadForm(Exception):
    """A form without this session's CSRF token (or from another site)."""


def oauth_client(settings: WebSettings) -> StarletteOAuth2App:
    oauth = OAuth()
    client = oauth.register(
        name="council",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        server_metadata_url=f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
    )
    assert isinstance(client, StarletteOAuth2App)
    return client


def _oauth(request: Request) -> StarletteOAuth2App:
    client: StarletteOAuth2App = state_of(request).oauth
    return client


def _settings(request: Request) -> WebSettings:
    settings: WebSettings = state_of(request).settings
    return settings


def safe_then(then: str | None) -> str:
    """A path on this site to go back to after sign-in (never another site's address)."""
    if not then or not then.startswith("/") or then.startswith("//") or "\\" in then:
        return "/"
    parts = urlsplit(then)
    return parts.path + (f"?{parts.query}" if parts.query else "")


router = APIRouter(include_in_schema=False)


@router.get("/sign-in")
async def sign_in_page(request: Request, then: str | None = None) -> Response:
    session = session_of(request)
    if session.signed_in:
        return RedirectResponse(safe_then(then), status_code=303)
    return pages.render(
        request,
        "sign_in.html",
        then=safe_then(then),
        timed_out=session.data.pop("timed_out", False) or "saved_form" in session.data,
        saved="saved_form" in session.data,
    )


@router.get("/sign-in/start")
async def start_sign_in(request: Request, then: str | None = None) -> Response:
    session_of(request).data["then"] = safe_then(then)
    redirect_uri = f"{_settings(request).public_url}/sign-in/callback"
    try:
        response: Response = await _oauth(request).authorize_redirect(request, redirect_uri)
    except Exception as exc:  # discovery unreachable: the provider is down
        raise Unavailable("the identity provider") from exc
    return response


@router.get("/sign-in/callback")
async def sign_in_callback(request: Request) -> Response:
    old = session_of(request)
    try:
        token: dict[str, Any] = await _oauth(request).authorize_access_token(request)
    except OAuthError as exc:
        logger.info("sign-in refused: %s", exc.error)
        return pages.render(request, "sign_in_failed.html", status_code=400)
    claims = token.get("userinfo") or {}
    settings = _settings(request)
    user = {
        "sub": str(claims["sub"]),
        "roles": _strings(claims.get(settings.oidc_roles_claim)),
        "councils": _strings(claims.get(settings.oidc_councils_claim)),
    }
    # A new session under a new token: the visitor's session is never promoted (fixation).
    carried = {k: v for k, v in old.data.items() if k == "saved_form"}
    session = state_of(request).sessions.start(data=carried)
    session.data.update(
        user=user,
        tokens=_tokens(token),
        csrf=secrets.token_urlsafe(32),
    )
    request.scope["web.session"] = session
    request.scope["session"] = session.data
    logger.info("signed in %s", user["sub"])
    return RedirectResponse(safe_then(old.data.get("then")), status_code=303)


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await checked_form(request)
    session = session_of(request)
    id_token = session.data.get("tokens", {}).get("id_token")
    session.end()
    settings = _settings(request)
    try:
        metadata = await _oauth(request).load_server_metadata()
    except Exception:  # the provider is down: signed out here at least
        metadata = {}
    end_session = metadata.get("end_session_endpoint")
    if not end_session:
        return RedirectResponse("/signed-out", status_code=303)
    params = {
        "post_logout_redirect_uri": f"{settings.public_url}/signed-out",
        "client_id": settings.oidc_client_id,
    }
    if id_token:
        params["id_token_hint"] = id_token
    return RedirectResponse(f"{end_session}?{urlencode(params)}", status_code=303)


@router.get("/signed-out")
async def signed_out(request: Request) -> Response:
    return pages.render(request, "signed_out.html")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _tokens(token: dict[str, Any]) -> dict[str, Any]:
    return {
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "id_token": token.get("id_token"),
        "expires_at": float(token.get("expires_at") or time.time() + 300),
    }


async def _fresh_access_token(request: Request, session: Session) -> str:
    """The session's access token, refreshed first when it is about to expire."""
    tokens: dict[str, Any] = session.data["tokens"]
    if tokens["expires_at"] - time.time() > REFRESH_BEFORE_S:
        return str(tokens["access_token"])
    if not tokens.get("refresh_token"):
        raise MustSignIn(request.url.path)
    try:
        refreshed = await _oauth(request).fetch_access_token(
            grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )
    except OAuthError as exc:  # refused: the sign-in ended at the provider
        session.end()
        raise MustSignIn(request.url.path) from exc
    except Exception as exc:
        raise Unavailable("the identity provider") from exc
    fresh = _tokens(refreshed)
    fresh["id_token"] = fresh["id_token"] or tokens.get("id_token")
    fresh["refresh_token"] = fresh["refresh_token"] or tokens["refresh_token"]
    session.data["tokens"] = fresh
    return str(fresh["access_token"])


async def signed_in(request: Request) -> User:
    """The person signed in, or ``MustSignIn`` (a form they posted is kept first)."""
    session = session_of(request)
    if not session.signed_in:
        if request.method == "POST":
            await _keep_answers(request, session)
        raise MustSignIn(_return_path(request), timed_out=bool(session.data.get("timed_out")))
    user = session.data["user"]
    return User(
        subject=user["sub"],
        roles=frozenset(user["roles"]),
        councils=tuple(user["councils"]),
        access_token=await _fresh_access_token(request, session),
    )


SignedIn = Annotated[User, Depends(signed_in)]


def with_role(*roles: str) -> Any:
    """A dependency: the person signed in, holding one of ``roles`` (else "not allowed")."""

    async def allowed(user: SignedIn) -> User:
        if not user.has(*roles):
            raise NotAllowed
        return user

    return Depends(allowed)


def _return_path(request: Request) -> str:
    # A form posted to /x/submit returns to its form page: the page's own GET, same path.
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


async def _keep_answers(request: Request, session: Session) -> None:
    """The answers of a form posted after the session ended, kept (encrypted, in the new
    visitor's session) for ``SAVED_FORM_MINUTES``, to fill the form in again after sign-in.
    Never acted on: the person sees them and sends the form again."""
    form = await request.form()
    answers: dict[str, str | list[str]] = {}
    for name in form:
        if name == "csrf_token":
            continue
        values = [v for v in form.getlist(name) if isinstance(v, str)]
        if values:  # several ticked boxes keep every answer
            answers[name] = values if len(values) > 1 else values[0]
    session.data["saved_form"] = {
        "path": request.url.path,
        "answers": answers,
        "at": time.time(),
    }


def saved_answers(request: Request) -> dict[str, str | list[str]] | None:
    """The answers kept for this page when a session ended mid-form, once (then forgotten),
    if still within ``SAVED_FORM_MINUTES``."""
    session = session_of(request)
    saved = session.data.get("saved_form")
    if not saved or saved.get("path") != request.url.path:
        return None
    del session.data["saved_form"]
    minutes = _settings(request).saved_form_minutes
    if time.time() - float(saved["at"]) > minutes * 60:
        return None
    answers: dict[str, str | list[str]] = saved["answers"]
    return answers


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is this session's (``BadForm`` otherwise)."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = session_of(request).data.get("csrf")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise BadForm
    return form
