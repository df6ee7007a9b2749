"""GOV.UK Notify through its official Python client, called off the event loop (the client
is synchronous and not thread-safe: each worker thread gets its own), on threads of the
sender's own (``calls``): as many as messages it hands over at once, each held for a whole
round trip.

Messages are Notify templates: the platform sends a template id (from the council's settings,
by language, falling back to English) and the placeholders' values; ``reference`` is the
message id, so a message whose sender stopped mid-way can be found before sending it again.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import logging
import os
import threading
from concurrent.futures import Executor
from typing import Any
from uuid import UUID

import requests
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient
from pydantic import SecretStr

from notifications.channels import Accepted, Outgoing, Refused, Remote, Unavailable
from notifications.domain import Channel

logger = logging.getLogger(__name__)

NO_ANSWER = 503  # the client's status when no answer came (connection refused, timeout)


class NotifyChannel:
    name = "notify"

    def __init__(
        self,
        api_key: SecretStr,
        *,
        templates: dict[str, dict[Channel, dict[str, UUID]]],
        base_url: str,
        timeout_s: float = 30,
        rate_per_minute: int = 3000,
        calls: Executor | None = None,
    ) -> None:
        self._api_key = api_key
        self._templates = templates
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._local = threading.local()
        self._calls = calls
        self.rate_per_minute: int | None = rate_per_minute
        # The limit is per key: the bucket is named by a hash of it, never the key itself.
        digest = hashlib.sha256(api_key.get_secret_value().encode()).hexdigest()[:16]
        self.limit_key: str | None = f"notify:{digest}"

    def _client(self) -> NotificationsAPIClient:
        client: NotificationsAPIClient | None = getattr(self._local, "client", None)
        if client is None:
            client = NotificationsAPIClient(
                self._api_key.get_secret_value(), base_url=self._base_url, timeout=self._timeout_s
            )
            _environment_read_once(client.request_session, self._base_url)
            self._local.client = client
        return client

    def template_id(self, message: Outgoing) -> str:
        for language in (message.language, "en"):
            found = self._templates.get(language, {}).get(message.channel, {}).get(message.template)
            if found is not None:
                return str(found)
        raise Refused("technical-failure", "template-not-configured")

    async def send(self, message: Outgoing) -> Accepted:
        template_id = self.template_id(message)
        answer = await self._call(self._send, message, template_id)
        return Accepted(provider_id=str(answer["id"]))

    def _send(self, message: Outgoing, template_id: str) -> Any:
        reference = str(message.notification_id)
        client = self._client()
        if message.channel == "email":
            return client.send_email_notification(
                message.to, template_id, personalisation=message.fields, reference=reference
            )
        if message.channel == "sms":
            return client.send_sms_notification(
                message.to, template_id, personalisation=message.fields, reference=reference
            )
        lines = message.address_lines
        address = {f"address_line_{i}": line for i, line in enumerate(lines[:7], start=1)}
        return client.send_letter_notification(
            template_id, personalisation={**message.fields, **address}, reference=reference
        )

    async def find(self, notification_id: UUID, channel: Channel) -> Remote | None:
        answer = await self._call(
            lambda: self._client().get_all_notifications(
                reference=str(notification_id), template_type=channel
            )
        )
        found = answer.get("notifications") or []
        return Remote(str(found[0]["id"]), str(found[0]["status"])) if found else None

    async def status(self, provider_id: str) -> Remote | None:
        try:
            answer = await self._call(lambda: self._client().get_notification_by_id(provider_id))
        except Refused:
            return None  # gone (Notify keeps messages 7 days) or never there
        return Remote(str(answer["id"]), str(answer["status"]))

    async def _call(self, call: Any, *args: Any) -> Any:
        try:
            if self._calls is None:
                return await asyncio.to_thread(call, *args)
            # As to_thread, on the sender's own threads: the default executor has at most
            # CPUs + 4, each held for a whole round trip to Notify (#25).
            context = contextvars.copy_context()
            return await asyncio.get_running_loop().run_in_executor(
                self._calls, functools.partial(context.run, call, *args)
            )
        except HTTPError as exc:
            raise _classified(exc) from exc


def _environment_read_once(session: requests.Session, base_url: str) -> None:
    """What requests reads from the environment for every request (the proxy for Notify's
    address, ``NO_PROXY``, a CA bundle, ``.netrc``), read once for the client's life: the
    process's environment does not change while it runs, and that reading was ~3% of the
    service's CPU at 50 referrals/s through Notify (#25). The same proxy and CA bundle are
    used as before (the chart's ``HTTPS_PROXY`` egress proxy); no ``.netrc`` login, which would
    only have replaced the client's own Authorization header."""
    session.proxies = requests.utils.get_environ_proxies(base_url)
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    session.trust_env = False


def _error_kind(exc: HTTPError) -> str:
    """Notify's error class (``ValidationError``, ``RateLimitError``...): never its message,
    which may repeat what was sent."""
    message = exc.message
    if isinstance(message, list) and message and isinstance(message[0], dict):
        return str(message[0].get("error", "error"))
    return "error"


def _classified(exc: HTTPError) -> Refused | Unavailable:
    code = exc.status_code
    kind = _error_kind(exc)
    if code == 429:
        return Unavailable(f"notify-429-{kind}", not_sent=True, rate_limited=True)
    if code == NO_ANSWER and exc.response is None:
        return Unavailable("notify-no-answer", not_sent=False)
    if code in (401, 403):
        # The key or the clock is wrong: no message can go until an operator fixes it, and
        # none is lost meanwhile.
        logger.error("GOV.UK Notify refused the API key (%s %s): check it", code, kind)
        return Unavailable(f"notify-{code}-{kind}", not_sent=True)
    if code >= 500:
        return Unavailable(f"notify-{code}-{kind}", not_sent=True)
    return Refused(
        "permanent-failure" if code == 400 else "technical-failure", f"notify-{code}-{kind}"
    )
