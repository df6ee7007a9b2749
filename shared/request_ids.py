"""Every HTTP request's id: the server's own, never the caller's.

The audit trail records which request read or changed a child's record. Were that id whatever
the caller sent in ``X-Request-ID``, a caseworker could file their reads under someone else's
request. So each request gets a fresh UUID here, sent back in the response's ``X-Request-ID``
(a caller quotes it to the council's support) and set on the request's span
(``send.request_id``, to find its trace). What the caller sent as ``X-Request-ID`` is kept
apart as the *client's* request id, for auditors to match with the caller's own logs, and
only when it looks like an id (``CLIENT_REQUEST_ID``): anything else, which could be a name, a
formula or a line break, is dropped.
"""

from __future__ import annotations

import re
import uuid

from fastapi import Request
from opentelemetry import trace
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"

CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}$")
"""A caller's request id worth keeping: up to 128 letters, digits and ``._:/+=-``, starting
with a letter or digit (so never a spreadsheet formula). UUIDs, ULIDs, trace ids and the like
pass. The audit trail's ``client_request_id`` column has the same check."""


def client_request_id(value: str | None) -> str | None:
    """``value`` when it is an id worth keeping (``CLIENT_REQUEST_ID``), else None."""
    return value if value is not None and CLIENT_REQUEST_ID.fullmatch(value) else None


class RequestIds:
    """Gives each HTTP request its id (``request.state.request_id``) and the caller's, if any
    worth keeping (``request.state.client_request_id``), and answers with the id in
    ``X-Request-ID``, whatever the route, an error or a refusal answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        sent = [v for k, v in scope["headers"] if k == b"x-request-id"]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_request_id"] = (
            client_request_id(sent[0].decode("latin-1")) if len(sent) == 1 else None
        )
        trace.get_current_span().set_attribute("send.request_id", request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


def request_ids(request: Request) -> tuple[str, str | None]:
    """The request's own id and the caller's (``RequestIds`` set them; ``harden`` installs
    it on every service)."""
    request_id: str | None = getattr(request.state, "request_id", None)
    if request_id is None:
        raise RuntimeError("no request id: the RequestIds middleware is not installed")
    return request_id, getattr(request.state, "client_request_id", None)
