"""A local GOV.UK Notify, speaking Notify's documented HTTP API, for development and tests only.

The official client (``notifications-python-client``) talks to it exactly as to Notify: JWT
authentication (HS256, ``iss`` the service id, ``iat`` within 30 seconds), the send endpoints
for email, text messages and letters with their validation errors, a rate limit per key (429),
the status of one message or of messages by reference, and delivery receipts posted to a
callback URL with a bearer token (retried, as Notify does). Notify's simulated recipients fail
as documented: ``temp-fail@simulator.notify`` and 07700900003 (temporary failure),
``perm-fail@simulator.notify`` and 07700900002 (permanent failure).

Its inbox is at ``/`` (a page) and ``/inbox.json``: every message as the recipient would see it.
Run it with ``python -m devtools.local_notify --port 8010``; ``--templates`` prints every
template a council creates in the real Notify.

(Longer than most modules: a stand-in for a whole outside API (authentication, validation, rate
limits, receipts and the inbox page), kept in one file to be run and read as one tool.)
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

import certifi
import jwt
import urllib3
from notifications.catalogue import ADVISERS, KINDS, Audience
from notifications.domain import CHANNELS
from notifications.templates import as_notify, words
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

NAMESPACE = UUID("5e0d0000-0000-4000-8000-00000000a0a1")
DEV_SERVICE_ID = str(uuid5(NAMESPACE, "service"))
DEV_SECRET = str(uuid5(NAMESPACE, "secret"))
DEV_API_KEY = f"local_development-{DEV_SERVICE_ID}-{DEV_SECRET}"
"""A key the official client splits as Notify's: ``{name}-{service id}-{secret}``."""
PLACEHOLDER = re.compile(r"\(\(([^)]+)\)\)")
PERMANENT = {"perm-fail@simulator.notify", "07700900002"}
TEMPORARY = {"temp-fail@simulator.notify", "07700900003"}
RECEIPT_TRIES = 5
TOKENS_KEPT = 1000
RECEIPT_POSTERS = 8
"""Receipts posted at once (each poster a thread; the connections kept between receipts)."""


@dataclass(frozen=True)
class Template:
    id: str
    type: str
    name: str
    subject: str
    body: str


def template_id(message: str, channel: str, language: str = "en") -> str:
    return str(uuid5(NAMESPACE, f"{message}/{channel}/{language}"))


def project_templates() -> dict[str, Template]:
    """The project's messages as Notify templates (what a council creates in Notify)."""
    found = {}
    for message, kind in KINDS.items():
        w = words(message, "en")
        for channel in (c for c in CHANNELS if c in kind.channels):
            body = w.sms if channel == "sms" else w.body
            t = Template(template_id(message, channel), channel, message,
                         as_notify(w.subject), as_notify(body))  # fmt: skip
            found[t.id] = t
    return found


def project_template_ids() -> dict[str, dict[str, dict[str, str]]]:
    """``notify_templates`` for a council's settings, pointing at ``project_templates``."""
    return {
        "en": {
            c: {m: template_id(m, c) for m, kind in KINDS.items() if c in kind.channels}
            for c in CHANNELS
        }
    }


class NotifyError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass
class LocalNotify:
    """The server's state: its services' keys, templates, messages, and switches for tests."""

    secrets: dict[str, str] = field(default_factory=lambda: {DEV_SERVICE_ID: DEV_SECRET})
    templates: dict[str, Template] = field(default_factory=project_templates)
    callback_url: str | None = None
    callback_token: str | None = None
    deliver_after_s: float = 0.2
    callback_retry_s: float = 1.0
    rate_limit: int = 3000
    rate_window_s: float = 60.0
    outage: bool = False
    """Answer every request with Notify's 500."""
    answer_after_s: float = 0.0
    """Keep the sender waiting this long after taking a message: to stop it mid-way (a test),
    or as a provider over the internet would (``--answer-after``, the bench's
    ``--notify-answer-ms``)."""
    callbacks: bool = True
    messages: list[dict[str, Any]] = field(default_factory=list)
    receipts_posted: int = 0
    refused: int = 0
    """Requests answered 429."""
    _requests: dict[str, deque[float]] = field(default_factory=dict)
    _verified: dict[str, tuple[str, int, str]] = field(default_factory=dict, repr=False)
    _posters: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(RECEIPT_POSTERS, "receipts"), repr=False
    )
    _counting: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _http: urllib3.PoolManager = field(
        default_factory=lambda: urllib3.PoolManager(
            maxsize=RECEIPT_POSTERS, retries=False, timeout=10, ca_certs=certifi.where()
        ),
        repr=False,
    )
    """The receipts' client: ``RECEIPT_POSTERS`` threads posting over its keep-alive
    connections. A new httpx client and connection a receipt cost two thirds of a message's
    CPU here, and even one kept httpx client cost about 1 ms a post against urllib3's 0.25
    (requests' and botocore's own client, installed with them)."""

    def authenticate(self, header: str | None) -> str:
        """The service id a request's token proves, or ``NotifyError``."""
        if not header or not header.startswith("Bearer "):
            raise NotifyError(
                401, "AuthError", "Unauthorized: authentication token must be provided"
            )
        token = header.removeprefix("Bearer ")
        proved = self._verified.get(token)
        if proved is None or self.secrets.get(proved[0]) != proved[2]:
            proved = self._verify(token)
        service_id, iat, _ = proved
        if abs(time.time() - iat) > 30:
            raise NotifyError(
                403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
            )
        return service_id

    def _verify(self, token: str) -> tuple[str, int, str]:
        """(service id, iat, the secret it was signed with) of a token whose signature holds.
        Kept by token: the official client makes one token a second (its ``iat``), and PyJWT
        checking each request's again was a tenth of a message's CPU. The clock is checked on
        every use, and a key no longer the service's proves nothing."""
        try:
            service_id = str(jwt.decode(token, options={"verify_signature": False})["iss"])
            secret = self.secrets[service_id]
            claims = jwt.decode(
                token, secret, algorithms=["HS256"],
                options={"require": ["iss", "iat"], "verify_iat": False},
            )  # fmt: skip
        except (jwt.PyJWTError, KeyError) as exc:
            raise NotifyError(
                403, "AuthError", "Invalid token: signature, api token not found"
            ) from exc
        proved = (service_id, int(claims["iat"]), secret)
        if len(self._verified) >= TOKENS_KEPT:  # a minute's worth, several services
            self._verified.clear()
        self._verified[token] = proved
        return proved

    def count(self, service_id: str) -> None:
        now = time.monotonic()
        seen = self._requests.setdefault(service_id, deque())
        while seen and seen[0] <= now - self.rate_window_s:
            seen.popleft()
        if len(seen) >= self.rate_limit:
            self.refused += 1
            limit = f"{self.rate_limit} requests per {self.rate_window_s:.0f} seconds"
            raise NotifyError(
                429, "RateLimitError", f"Exceeded rate limit for key type LIVE of {limit}"
            )
        seen.append(now)

    def create(self, service_id: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        template = self.templates.get(str(body.get("template_id")))
        if template is None:
            raise NotifyError(400, "BadRequestError", "Template not found")
        if template.type != kind:
            raise NotifyError(
                400,
                "BadRequestError",
                f"{kind} template is not suitable for {template.type} notification",
            )
        fields = {str(k): str(v) for k, v in (body.get("personalisation") or {}).items()}
        to = _recipient(kind, body, fields)
        missing = sorted(set(PLACEHOLDER.findall(template.subject + template.body)) - set(fields))
        if missing:
            raise NotifyError(
                400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}"
            )
        rendered = PLACEHOLDER.sub(lambda m: fields[m.group(1)], template.body)
        subject = PLACEHOLDER.sub(lambda m: fields[m.group(1)], template.subject)
        message = {
            "id": str(uuid4()), "reference": body.get("reference"), "type": kind,
            "status": "created" if kind != "letter" else "accepted",
            "template": {"id": template.id, "version": 1, "uri": f"/v2/template/{template.id}"},
            "body": rendered, "subject": subject if kind != "sms" else None,
            "created_at": _now(), "sent_at": None, "completed_at": None,
            "service_id": service_id, "to": to, "name": template.name,
        }  # fmt: skip
        self.messages.append(message)
        # Its statuses move on the loop's timers: no task a message.
        asyncio.get_running_loop().call_later(self.deliver_after_s, self._sending, message)
        return message

    def _sending(self, message: dict[str, Any]) -> None:
        if message["type"] == "letter":
            message["status"] = "received"  # printed and posted; Notify sends no receipt
            return
        message["status"], message["sent_at"] = "sending", _now()
        asyncio.get_running_loop().call_later(self.deliver_after_s, self._completed, message)

    def _completed(self, message: dict[str, Any]) -> None:
        to = re.sub(r"[\s+]", "", message["to"]).replace("447", "07", 1)
        message["status"] = (
            "permanent-failure" if message["to"] in PERMANENT or to in PERMANENT
            else "temporary-failure" if message["to"] in TEMPORARY or to in TEMPORARY
            else "delivered"
        )  # fmt: skip
        message["completed_at"] = _now()
        if self.callbacks and self.callback_url:
            self._post_later(_receipt(message), tries=0)

    def _post_later(self, receipt: dict[str, Any], tries: int) -> None:
        loop = asyncio.get_running_loop()
        with suppress(RuntimeError):  # the server stopping (``lifespan``): no posters left
            self._posters.submit(self._post, loop, receipt, tries)

    def _post(self, loop: asyncio.AbstractEventLoop, receipt: dict[str, Any], tries: int) -> None:
        """One try at posting ``receipt``, in a poster thread; the next on ``loop``'s timer.
        The loop hears only of a failure (waking it for each receipt cost more than the
        thread's hand-over)."""
        headers = {"Authorization": f"Bearer {self.callback_token}",
                   "Content-Type": "application/json"}  # fmt: skip
        try:
            answer = self._http.request(
                "POST", str(self.callback_url), body=json.dumps(receipt).encode(), headers=headers
            )
            taken = 200 <= answer.status < 300
        except (urllib3.exceptions.HTTPError, OSError):
            taken = False
        if taken:
            with self._counting:
                self.receipts_posted += 1
        elif tries + 1 < RECEIPT_TRIES:  # as Notify: a few tries, then it gives up
            retry = (self.callback_retry_s, self._post_later, receipt, tries + 1)
            loop.call_soon_threadsafe(loop.call_later, *retry)

    def find(self, service_id: str, query: dict[str, str]) -> list[dict[str, Any]]:
        found = [m for m in reversed(self.messages) if m["service_id"] == service_id]
        for name, key in (
            ("reference", "reference"),
            ("template_type", "type"),
            ("status", "status"),
        ):
            if query.get(name):
                found = [m for m in found if m[key] == query[name]]
        return found[:250]

    def app(self) -> Starlette:
        return _app(self)


def _recipient(kind: str, body: dict[str, Any], fields: dict[str, str]) -> str:
    if kind == "email":
        address = str(body.get("email_address") or "")
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
            raise NotifyError(400, "ValidationError", "email_address Not a valid email address")
        return address
    if kind == "sms":
        number = str(body.get("phone_number") or "")
        digits = re.sub(r"[\s()-]", "", number)
        if not re.fullmatch(r"(\+447|447|07)\d{9}", digits):
            raise NotifyError(400, "ValidationError", "phone_number Not a UK mobile number")
        return number
    lines = [fields.get(f"address_line_{i}", "") for i in range(1, 8)]
    lines = [line for line in lines if line]
    if len(lines) < 3:
        raise NotifyError(400, "ValidationError", "Address must be at least 3 lines")
    return ", ".join(lines)


def _receipt(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": message["id"], "reference": message["reference"], "to": message["to"],
        "status": message["status"], "created_at": message["created_at"],
        "completed_at": message["completed_at"], "sent_at": message["sent_at"],
        "notification_type": message["type"], "template_id": message["template"]["id"],
        "template_version": 1,
    }  # fmt: skip


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")[:26] + "Z"  # strftime's 1.6x


def _public(message: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in message.items() if k not in ("service_id", "to", "name")}
    key = {"email": "email_address", "sms": "phone_number", "letter": "line_1"}[message["type"]]
    return {**shown, key: message["to"]}


def _app(notify: LocalNotify) -> Starlette:
    """Plain Starlette routes: FastAPI's layers (its dependencies, validation and telemetry
    middleware) were a sixth of a message's CPU, for no part of Notify's API."""

    def service_of(request: Request) -> str:
        service_id = notify.authenticate(request.headers.get("authorization"))
        notify.count(service_id)
        if notify.outage:
            raise NotifyError(500, "Exception", "Internal server error")
        return service_id

    async def send(request: Request) -> JSONResponse:
        service_id = service_of(request)
        kind = request.path_params["kind"]
        if kind not in CHANNELS:
            raise NotifyError(404, "NotFound", "Not found")
        message = notify.create(service_id, kind, await request.json())
        waited = 0.0
        while waited < notify.answer_after_s:  # a test may end the wait early
            await asyncio.sleep(0.05)
            waited += 0.05
        content = {"body": message["body"], "subject": message["subject"]}
        return JSONResponse({
            "id": message["id"], "reference": message["reference"], "content": content,
            "uri": f"/v2/notifications/{message['id']}", "template": message["template"],
        }, status_code=201)  # fmt: skip

    async def one(request: Request) -> JSONResponse:
        service_id = service_of(request)
        notification_id = request.path_params["notification_id"]
        try:
            UUID(notification_id)
        except ValueError as exc:
            raise NotifyError(
                400, "ValidationError", "notification_id is not a valid UUID"
            ) from exc
        for m in notify.messages:
            if m["id"] == notification_id and m["service_id"] == service_id:
                return JSONResponse(_public(m))
        raise NotifyError(404, "NoResultFound", "No result found")

    async def many(request: Request) -> JSONResponse:
        found = notify.find(service_of(request), dict(request.query_params))
        return JSONResponse({
            "notifications": [_public(m) for m in found],
            "links": {"current": str(request.url)},
        })  # fmt: skip

    async def inbox(_: Request) -> JSONResponse:
        return JSONResponse([_public(m) for m in notify.messages])

    async def counts(_: Request) -> JSONResponse:
        """How much it took (a bench sets them against its CPU): not the inbox, which a long
        run makes too large to fetch."""
        return JSONResponse({
            "messages": len(notify.messages),
            "receipts_posted": notify.receipts_posted,
            "refused": notify.refused,
            "rate_limit": notify.rate_limit,
        })  # fmt: skip

    async def page(_: Request) -> HTMLResponse:
        rows = "".join(
            f"<tr><td>{html.escape(m['created_at'])}</td><td>{m['type']}</td>"
            f"<td>{html.escape(m['to'])}</td><td>{html.escape(m['subject'] or '')}"
            f"<pre>{html.escape(m['body'])}</pre></td><td>{m['status']}</td></tr>"
            for m in reversed(notify.messages)
        )
        return HTMLResponse(
            "<!DOCTYPE html><html><head><title>Local Notify inbox</title></head><body>"
            "<h1>Local GOV.UK Notify: inbox (development only, nothing leaves this machine)</h1>"
            "<table border=1><tr><th>when</th><th>type</th><th>to</th><th>message</th>"
            f"<th>status</th></tr>{rows}</table></body></html>"
        )

    routes = [
        Route("/v2/notifications/{kind}", send, methods=["POST"]),
        Route("/v2/notifications/{notification_id}", one, methods=["GET"]),
        Route("/v2/notifications", many, methods=["GET"]),
        Route("/inbox.json", inbox, methods=["GET"]),
        Route("/counts.json", counts, methods=["GET"]),
        Route("/", page, methods=["GET"]),
    ]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        # Receipts not yet posted go with the server, as its tasks did: no thread posting
        # after its loop has closed.
        notify._posters.shutdown(wait=False, cancel_futures=True)

    return Starlette(
        routes=routes,
        exception_handlers={NotifyError: _notify_error, HTTPException: _http_error},
        lifespan=lifespan,
    )


async def _notify_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotifyError)  # the handler of this class only
    errors = [{"error": exc.error, "message": exc.message}]
    return JSONResponse({"status_code": exc.status, "errors": errors}, status_code=exc.status)


async def _http_error(_: Request, exc: Exception) -> Response:
    """An unknown path or method answered as FastAPI did (JSON ``detail``)."""
    assert isinstance(exc, HTTPException)  # the handler of this class only
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def development_messaging(base_url: str, callback_token: str) -> dict[str, Any]:
    """A council's ``COUNCIL_MESSAGING`` entry (JSON) that sends everything through this server."""
    return {
        "email": "notify",
        "sms": "notify",
        "letter": "notify",
        "notify_api_key": DEV_API_KEY,
        "notify_base_url": base_url,
        "notify_callback_token": callback_token,
        "notify_templates": project_template_ids(),
        # Example advisers' addresses (Reg 6): each kind of advice asked by email.
        "advisers": {
            kind: {"email": f"{kind.replace('_', '-')}@advisers.example"} for kind in ADVISERS
        },
    }


def template_list() -> str:
    """Every Notify template a council creates (message, channel, whether it is needed, subject
    and body in Notify's syntax): what ``notify_templates`` must name, message by message."""
    parts = []
    for t in project_templates().values():
        kind = KINDS[t.name]
        needed = "if listed in optional_messages" if kind.council_chooses else "required"
        to = {Audience.CASEWORKER: "the SEND team", Audience.ADVISER: "an adviser"}.get(
            kind.audience, "the family"
        )
        subject = f"Subject: {t.subject}\n" if t.type == "email" else ""
        parts.append(f"## {t.name} / {t.type} (to {to}; {needed})\n{subject}{t.body}\n")
    return "\n".join(parts)


def main() -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--callback-url", help="where delivery receipts are posted")
    parser.add_argument("--callback-token", help="the bearer token they carry")
    parser.add_argument("--deliver-after", type=float, default=0.2, help="seconds per status")
    parser.add_argument(
        "--answer-after",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds before answering a message sent: a provider's round trip over the "
        "internet, which this one on the same machine does not have",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=LocalNotify.rate_limit,
        metavar="N",
        help="requests per key per minute before 429 (Notify's 3000; the bench lifts it)",
    )
    parser.add_argument(
        "--templates",
        action="store_true",
        help="print every Notify template a council creates (the messages notify_templates "
        "must name, by channel) and exit",
    )
    args = parser.parse_args()
    if args.templates:
        print(template_list())
        return
    notify = LocalNotify(
        callback_url=args.callback_url,
        callback_token=args.callback_token,
        deliver_after_s=args.deliver_after,
        rate_limit=args.rate_limit,
        answer_after_s=args.answer_after,
    )
    uvicorn.run(notify.app(), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
