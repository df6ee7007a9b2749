"""What every service's HTTP side does against hostile input and abuse, wired by ``harden``.

- Request bodies are capped (``MAX_REQUEST_BYTES``): 413 before reading one whose
  ``Content-Length`` is too large, and 413 as soon as a streamed (chunked) body passes the cap.
- Rate limits per client on changes and on the family link (``shared.rate_limits``): 429.
- Security headers on every response (``shared.security_headers``).
- The server's own id for every request, answered in ``X-Request-ID`` (``shared.request_ids``).
- No stack trace, SQL or submitted value is ever returned: an unhandled exception is a 500
  naming an error id (the log line with the same id has its type and traceback), and a 422
  names each invalid field and what is wrong with it, never the value sent (it may be a
  child's name or NHS number).

All of it is pure ASGI middleware: Starlette's ``BaseHTTPMiddleware`` would buffer bodies and
run the route in another task. From the outside in: request ids, security headers (so every
answer below gets them), unhandled errors, rate limits (a spent client's body is never read),
body cap.

(Longer than most modules: four small ASGI middlewares and their wiring, whose order relative
to each other matters and is set here.)
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import traceback
import uuid
from collections.abc import Sequence

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.failures import reason
from shared.rate_limits import Clock, RateLimits, async_storage, rules
from shared.request_ids import RequestIds
from shared.security_headers import SecurityHeaders, page_policies
from shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


def harden(
    app: FastAPI,
    settings: ServiceSettings,
    *,
    clock: Clock = time.time,
    page_policy: str | None = None,
    uploads: Sequence[str] = (),
    callbacks: Sequence[str] = (),
) -> None:
    """Install the body cap, rate limits, error answers, security headers and request ids on
    ``app``.

    ``page_policy``: the Content-Security-Policy of an app that serves pages (the workspace)
    rather than JSON; its unhandled errors are then answered as a page too. ``uploads``:
    patterns of the paths that take a document (``MAX_UPLOAD_BYTES`` rather than
    ``MAX_REQUEST_BYTES``). ``callbacks``: the paths a provider calls with a token of its own,
    never a sign-in token (rate-limited by address, that token not tried as a sign-in)."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    # add_middleware puts each in front of the last: innermost first.
    app.add_middleware(
        RequestBodyLimit,
        max_bytes=settings.max_request_bytes,
        uploads=tuple(re.compile(pattern) for pattern in uploads),
        upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(
        RateLimits,
        rules=rules(
            post=settings.rate_limit_post,
            family=settings.rate_limit_family,
            family_prefix=settings.family_path_prefix,
            public=settings.rate_limit_public,
        ),
        storage=async_storage(settings.rate_limit_storage),
        namespace=settings.service_name,
        trusted_proxies=settings.trusted_proxies,
        family_prefix=settings.family_path_prefix,
        callbacks=callbacks,
        clock=clock,
    )
    app.add_middleware(UnhandledErrors, html=page_policy is not None)
    app.add_middleware(
        SecurityHeaders,
        default_policy=page_policy,
        pages=page_policies(
            docs_url=app.docs_url,
            redoc_url=app.redoc_url,
            oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
        ),
        hsts_seconds=settings.hsts_seconds,
    )
    app.add_middleware(RequestIds)


class _BodyTooLarge(Exception):
    """Raised into the app from ``receive`` to stop it reading a body past the cap."""


class RequestBodyLimit:
    """413 for a request body over ``max_bytes`` (``upload_bytes`` on a path matching one of
    ``uploads``), declared or streamed.

    Not Starlette's ``RequestBodyLimitMiddleware`` (nor FastAPI's ``max_body_size``, which
    wraps it): it checks a declared length only once the route reads the body or answers, so
    the route has run; it answers that case in plain text; and FastAPI's sits outside the
    middleware here, so its 413 would miss the security headers.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        uploads: Sequence[re.Pattern[str]] = (),
        upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if any(pattern.fullmatch(scope["path"]) for pattern in self.uploads):
            limit = max(limit, self.upload_bytes)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        over = False

        async def counting_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _BodyTooLarge
            return message

        async def send_unless_over(message: Message) -> None:
            if not over:  # once over, the app's own answer (FastAPI's 400) is replaced
                await send(message)

        with contextlib.suppress(_BodyTooLarge):  # over: answered below
            await self.app(scope, counting_receive, send_unless_over)
        if over:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        # No "Connection: close": a server closing with the body's rest unread makes the client's
        # kernel reset the connection, often before the client has read the 413. uvicorn
        # discards the rest (the app never sees it) and keeps the connection.
        response = JSONResponse(
            {"detail": f"The request body is larger than {limit} bytes."},
            status_code=413,
        )
        await response(scope, receive, send)


class UnhandledErrors:
    """A 500 with an error id for any exception a route lets escape; the id is logged with
    the exception's type and traceback, never its message (asyncpg and pydantic messages can
    quote the values stored or sent) nor the request body."""

    def __init__(self, app: ASGIApp, *, html: bool = False) -> None:
        self.app = app
        self.html = html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:  # too late for a 500: the server drops the connection
                raise
            error_id = uuid.uuid4()
            _log_unhandled(scope, exc, error_id)
            words = f"Something went wrong on our side. It has been logged with id {error_id}."
            response: Response = (
                HTMLResponse(_ERROR_PAGE.format(words=words), status_code=500)
                if self.html
                else JSONResponse({"detail": words}, status_code=500)
            )
            await response(scope, receive, send)


_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Sorry, there is a problem with the service</title>
<link rel="stylesheet" href="/static/govuk-frontend/govuk-frontend.min.css"></head>
<body class="govuk-template__body"><div class="govuk-width-container">
<main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">Sorry, there is a problem with the service</h1>
<p class="govuk-body">Try again later. {words}</p></main></div></body></html>"""


def _log_unhandled(scope: Scope, exc: Exception, error_id: uuid.UUID) -> None:
    route = getattr(scope.get("route"), "path", "(no route)")  # the template: no ids or tokens
    span = trace.get_current_span()
    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
    span.set_attribute("error.type", type(exc).__qualname__)
    span.set_attribute("error.id", str(error_id))
    logger.error(
        "error %s: unhandled %s in %s %s\n%s",
        error_id,
        _describe(exc),
        scope["method"],
        route,
        "".join(_frames(exc)),
    )


def _describe(exc: BaseException) -> str:
    """The exception's type and what can be said of it without quoting any value."""
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if isinstance(exc, ValidationError):
        return f"{name} ({reason(exc)})"
    if isinstance(exc, asyncpg.PostgresError):
        known = {
            "sqlstate": exc.sqlstate,
            "table": getattr(exc, "table_name", None),
            "constraint": getattr(exc, "constraint_name", None),
        }
        return f"{name} ({', '.join(f'{k} {v}' for k, v in known.items() if v)})"
    return name


def _frames(exc: BaseException) -> list[str]:
    """The traceback of ``exc`` and of the exceptions it was raised from, without messages."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines = [
            f"{_describe(current)}, raised at:\n",
            *traceback.format_tb(current.__traceback__),
            *lines,
        ]
        current = current.__cause__ or current.__context__
    return lines


async def _invalid_request(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 without the ``input`` and ``ctx`` of each error: where and what, not the
    value sent."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse(
        {"detail": [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in errors]},
        status_code=422,
    )
