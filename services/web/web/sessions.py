"""Sessions kept on the server: an HttpOnly cookie holds a random token, the workspace's own
database holds the session under the token's SHA-256, encrypted (Fernet: AES-128-CBC with an
HMAC-SHA256, from ``cryptography``) with keys from ``SESSION_KEYS``.

Why on the server: a session holds the person's access, refresh and ID tokens (several
kilobytes at a council's identity provider: more than a cookie takes), and signing out or an
idle timeout must end it everywhere, which a cookie alone cannot. Why encrypted: the tokens
open children's records, and a database dump must open nothing.

A session ends after ``SESSION_IDLE_MINUTES`` without a request or ``SESSION_ABSOLUTE_HOURS``
after sign-in, whichever is first. The middleware puts the session's data at
``scope["session"]`` (where Starlette's ``request.session`` and Authlib look for it) and the
``Session`` itself at ``scope["web.session"]``, and stores it again, with a new cookie if it
is new, before the response starts.

(Longer than most modules: the store, its cipher and the middleware that loads and keeps
sessions are one security boundary, reviewed together.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import Database
from shared.rate_limits import SUBJECT

logger = logging.getLogger(__name__)

COOKIE = "send_session"
SECURE_COOKIE = "__Host-send_session"  # __Host-: Secure, path /, no Domain: this host only
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often


def fernet_of(keys: str) -> MultiFernet:
    """The cipher of ``SESSION_KEYS`` (comma-separated secrets; the first encrypts). Each
    secret, of any form, is stretched to a Fernet key with HKDF-SHA256."""
    secrets_ = [k.strip() for k in keys.split(",") if k.strip()]
    if not secrets_:
        raise ValueError("SESSION_KEYS is empty")
    return MultiFernet([Fernet(_derive(s)) for s in secrets_])


def _derive(secret: str) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"send-workspace-session")
    return base64.urlsafe_b64encode(key.derive(secret.encode()))


@dataclass
class Session:
    """One person's session (or a visitor's, before sign-in)."""

    token: str
    data: dict[str, Any]
    created_at: datetime
    last_seen_at: datetime
    new: bool = False
    ended: bool = False
    """Signed out (or timed out): the row goes and the cookie is cleared."""
    saved: str = field(default="", repr=False)
    """The data as last stored (JSON), to know whether it changed."""

    @property
    def signed_in(self) -> bool:
        return "user" in self.data

    def end(self) -> None:
        self.ended = True
        self.data.clear()


@dataclass(frozen=True)
class SessionStore:
    """Sessions in the workspace's database."""

    database: Database
    cipher: MultiFernet
    idle: timedelta
    absolute: timedelta

    def start(self, now: datetime | None = None, data: dict[str, Any] | None = None) -> Session:
        """A new session (stored when the response starts), with a fresh token: a session
        is never carried across a sign-in under the token it had before (fixation)."""
        now = now or datetime.now(UTC)
        return Session(secrets.token_urlsafe(32), dict(data or {}), now, now, new=True)

    async def load(self, token: str, now: datetime | None = None) -> Session | None:
        """The session of ``token``, or ``None`` if there is none, it has timed out, or it
        cannot be decrypted (a key retired)."""
        now = now or datetime.now(UTC)
        row = await self.database.pool().fetchrow(
            "SELECT data, created_at, last_seen_at FROM sessions WHERE id_hash = $1",
            _hash(token),
        )
        if row is None:
            return None
        if self._expired(row["created_at"], row["last_seen_at"], now):
            await self.forget(token)
            return None
        try:
            text = self.cipher.decrypt(bytes(row["data"])).decode()
        except InvalidToken:
            logger.warning("a session could not be decrypted (its key is gone); ended")
            await self.forget(token)
            return None
        return Session(token, json.loads(text), row["created_at"], row["last_seen_at"], saved=text)

    async def store(self, session: Session, now: datetime | None = None) -> None:
        """Write the session if it is new, changed, or not touched for ``TOUCH_EVERY``."""
        now = now or datetime.now(UTC)
        if session.ended:
            await self.forget(session.token)
            return
        text = json.dumps(session.data, sort_keys=True, separators=(",", ":"))
        touch = now - session.last_seen_at >= TOUCH_EVERY
        if not session.new and text == session.saved and not touch:
            return
        expires = min(session.created_at + self.absolute, now + self.idle)
        await self.database.pool().execute(
            """INSERT INTO sessions (id_hash, data, created_at, last_seen_at, expires_at)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (id_hash) DO UPDATE
               SET data = EXCLUDED.data, last_seen_at = EXCLUDED.last_seen_at,
                   expires_at = EXCLUDED.expires_at""",
            _hash(session.token),
            self.cipher.encrypt(text.encode()),
            session.created_at,
            now,
            expires,
        )
        session.saved, session.last_seen_at, session.new = text, now, False

    async def forget(self, token: str) -> None:
        await self.database.pool().execute("DELETE FROM sessions WHERE id_hash = $1", _hash(token))

    async def sweep(self, now: datetime | None = None) -> int:
        """Delete every session past its expiry; how many went."""
        deleted: str = await self.database.pool().execute(
            "DELETE FROM sessions WHERE expires_at < $1", now or datetime.now(UTC)
        )
        return int(deleted.split()[-1])

    def _expired(self, created: datetime, last_seen: datetime, now: datetime) -> bool:
        return now >= created + self.absolute or now >= last_seen + self.idle


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def session_of(connection: HTTPConnection) -> Session:
    """The request's session (the middleware sets one on every page; a request it skips, a
    static file's 404, gets an empty one that is never stored)."""
    session: Session | None = connection.scope.get("web.session")
    if session is None:
        now = datetime.now(UTC)
        session = connection.scope["web.session"] = Session("", {}, now, now)
    return session


def csrf_token(connection: HTTPConnection) -> str:
    """This session's CSRF token, for a form's hidden ``csrf_token`` field."""
    data = session_of(connection).data
    token = data.get("csrf")
    if not token:
        token = data["csrf"] = secrets.token_urlsafe(32)
    return str(token)


class Sessions:
    """The ASGI middleware that loads a request's session and stores it before answering.

    A request whose cookie names a session that has timed out gets a new, empty session with
    ``data["timed_out"] = True``, so a page can say so (and keep a form's answers).
    """

    def __init__(self, app: ASGIApp, *, store: SessionStore, secure: bool) -> None:
        self.app = app
        self.store = store
        self.secure = secure
        self.cookie = SECURE_COOKIE if secure else COOKIE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(
            ("/health/", "/metrics", "/static/")
        ):
            await self.app(scope, receive, send)
            return
        token = HTTPConnection(scope).cookies.get(self.cookie)
        try:
            loaded = await self.store.load(token) if token else None
        except Exception as exc:  # the sessions' database is down: no page can be shown
            logger.warning("sessions unavailable (%s)", type(exc).__name__)
            await _unavailable(scope, receive, send)
            return
        stale_cookie = token is not None and loaded is None
        session = loaded or self.store.start()
        if stale_cookie:
            session.data["timed_out"] = True
        scope["web.session"] = session
        scope["session"] = session.data
        if session.signed_in:  # the rate limits count a signed-in person, not their address
            scope[SUBJECT] = session.data["user"]["sub"]

        async def store_then_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                current: Session = scope["web.session"]  # sign-in replaces it
                if current is not session and not session.new:
                    await self.store.forget(session.token)
                keep = current.signed_in or _worth_keeping(current)
                new = current.new
                if keep or not new:
                    try:
                        await self.store.store(current)
                    except Exception as exc:  # the page goes out; the session's change is lost
                        logger.warning("session not stored (%s)", type(exc).__name__)
                        keep = new = False
                headers = MutableHeaders(scope=message)
                if current.ended or (not keep and (current is not session or stale_cookie)):
                    headers.append("Set-Cookie", self._cookie("", max_age=0))
                elif new and keep:
                    headers.append("Set-Cookie", self._cookie(current.token))
            await send(message)

        await self.app(scope, receive, store_then_send)

    def _cookie(self, value: str, *, max_age: int | None = None) -> str:
        parts = [f"{self.cookie}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if self.secure:
            parts.append("Secure")
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        return "; ".join(parts)


async def _unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    response = HTMLResponse(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sorry, there is '
        "a problem with the service</title></head><body><main><h1>Sorry, there is a problem "
        "with the service</h1><p>Try again in a few minutes.</p></main></body></html>",
        status_code=503,
        headers={"Retry-After": "30"},
    )
    await response(scope, receive, send)


def _worth_keeping(session: Session) -> bool:
    """A visitor's session is stored only once it holds something (sign-in in progress, a
    saved form): a page view alone writes nothing."""
    return any(key != "timed_out" for key in session.data)
