"""The local GOV.UK Notify answers the official client as Notify does (its messages, statuses,
errors, authentication and rate limit), shows its inbox, and posts one delivery receipt a
message to the callback URL with its bearer token, over kept connections, retried when the
callback fails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from fastapi import FastAPI, Request, Response
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from devtools.local_notify import DEV_API_KEY, DEV_SECRET, DEV_SERVICE_ID, LocalNotify, template_id
from tests.integration.messaging import serving, until

EMAIL = template_id("request-received", "email")
SMS = template_id("request-received", "sms")
LETTER = template_id("request-received", "letter")
FIELDS = {"reference": "AB12CD34", "link": "https://council.example/family/1",
          "received_on": "5 January 2026", "who": "you"}  # fmt: skip
LIMIT = "Exceeded rate limit for key type LIVE"
ADDRESS = {"address_line_1": "A Parent", "address_line_2": "1 Road", "address_line_3": "LS1 1AA"}


async def _call(notify_url: str, call: Callable[[NotificationsAPIClient], Any]) -> Any:
    """``call`` with the official client (synchronous), off the loop the server runs on."""
    return await asyncio.to_thread(lambda: call(NotificationsAPIClient(DEV_API_KEY, notify_url)))


async def _refusal(notify_url: str, call: Callable[[NotificationsAPIClient], Any]) -> Any:
    with pytest.raises(HTTPError) as refused:
        await _call(notify_url, call)
    return refused.value.status_code, refused.value.message


def _token(iat: float, secret: str = DEV_SECRET) -> dict[str, str]:
    token = jwt.encode({"iss": DEV_SERVICE_ID, "iat": int(iat)}, secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


async def test_the_official_client_sends_and_finds_messages_as_in_notify() -> None:
    notify = LocalNotify(deliver_after_s=0.01)
    async with serving(notify.app()) as url:
        sent = await _call(url, lambda c: c.send_email_notification(
            "ann@example.org", EMAIL, FIELDS, reference="ref-1"))  # fmt: skip
        assert sent["reference"] == "ref-1"
        assert sent["uri"] == f"/v2/notifications/{sent['id']}"
        assert sent["template"] == {"id": EMAIL, "version": 1, "uri": f"/v2/template/{EMAIL}"}
        assert "AB12CD34" in sent["content"]["body"]
        assert sent["content"]["subject"]
        text = await _call(url, lambda c: c.send_sms_notification("07700900123", SMS, FIELDS))
        assert text["content"]["subject"] is None
        letter = await _call(url, lambda c: c.send_letter_notification(
            LETTER, {**FIELDS, **ADDRESS}, reference="ref-3"))  # fmt: skip
        await until(lambda: _all(notify, ("delivered", "received")), what="the statuses")
        one = await _call(url, lambda c: c.get_notification_by_id(sent["id"]))
        got = (one["status"], one["email_address"], one["type"])
        assert got == ("delivered", "ann@example.org", "email")
        assert None not in (one["sent_at"], one["completed_at"])
        assert {"to", "service_id", "name"}.isdisjoint(one)
        found = await _call(url, lambda c: c.get_all_notifications(reference="ref-3"))
        assert [m["id"] for m in found["notifications"]] == [letter["id"]]
        assert found["notifications"][0]["line_1"] == "A Parent, 1 Road, LS1 1AA"
        assert found["notifications"][0]["status"] == "received"
        texts = await _call(url, lambda c: c.get_all_notifications(template_type="sms"))
        assert [m["phone_number"] for m in texts["notifications"]] == ["07700900123"]
        everything = await _call(url, lambda c: c.get_all_notifications())
        newest_first = [letter["id"], text["id"], sent["id"]]
        assert [m["id"] for m in everything["notifications"]] == newest_first
        assert everything["links"]["current"].startswith(f"{url}/v2/notifications")


async def _all(notify: LocalNotify, statuses: tuple[str, ...]) -> bool:
    return all(m["status"] in statuses for m in notify.messages)


def _email(to: str, template: str = EMAIL) -> Callable[[NotificationsAPIClient], Any]:
    return lambda c: c.send_email_notification(to, template, FIELDS)


REFUSALS: list[tuple[Callable[[NotificationsAPIClient], Any], tuple[int, str, str]]] = [
    (_email("ann@example.org", SMS),
     (400, "BadRequestError", "email template is not suitable for sms notification")),
    (_email("ann@example.org", template_id("nothing", "email")),
     (400, "BadRequestError", "Template not found")),
    (_email("not-an-address"),
     (400, "ValidationError", "email_address Not a valid email address")),
    (lambda c: c.send_sms_notification("01132 000000", SMS, FIELDS),
     (400, "ValidationError", "phone_number Not a UK mobile number")),
    (lambda c: c.send_letter_notification(LETTER, FIELDS),
     (400, "ValidationError", "Address must be at least 3 lines")),
    (lambda c: c.send_sms_notification("07700900123", SMS, {}),
     (400, "BadRequestError", "Missing personalisation: link, reference")),
    (lambda c: c.get_notification_by_id("not-a-uuid"),
     (400, "ValidationError", "notification_id is not a valid UUID")),
    (lambda c: c.get_notification_by_id("5e0d0000-0000-4000-8000-000000000000"),
     (404, "NoResultFound", "No result found")),
]  # fmt: skip


async def test_refusals_are_notifys_errors() -> None:
    notify = LocalNotify()
    async with serving(notify.app()) as url:

        async def refused(call: Callable[[NotificationsAPIClient], Any]) -> tuple[int, str, str]:
            status, [error] = await _refusal(url, call)
            return status, error["error"], error["message"]

        for call, expected in REFUSALS:
            assert await refused(call) == expected
        notify.outage = True
        outage = await refused(lambda c: c.get_all_notifications())
        assert outage == (500, "Exception", "Internal server error")
        notify.outage = False
        notify.rate_limit = 0
        limited = await refused(lambda c: c.get_all_notifications())
        assert limited == (429, "RateLimitError", f"{LIMIT} of 0 requests per 60 seconds")
        assert notify.refused == 1
        assert notify.messages == []  # nothing refused was kept
        notify.rate_limit = 3000

        async with httpx.AsyncClient(base_url=url) as client:
            answers = [
                await client.get("/v2/notifications"),
                await client.get("/v2/notifications", headers=_token(time.time(), str(uuid4()))),
                await client.get("/v2/notifications", headers=_token(time.time() - 60)),
                await client.post("/v2/notifications/fax", headers=_token(time.time()), json={}),
            ]
    got = [(a.status_code, a.json()) for a in answers]
    assert got == [
        (401, {"status_code": 401, "errors": [{"error": "AuthError", "message":
            "Unauthorized: authentication token must be provided"}]}),
        (403, {"status_code": 403, "errors": [{"error": "AuthError", "message":
            "Invalid token: signature, api token not found"}]}),
        (403, {"status_code": 403, "errors": [{"error": "AuthError", "message":
            "Error: Your system clock must be accurate to within 30 seconds"}]}),
        (404, {"status_code": 404, "errors": [{"error": "NotFound", "message": "Not found"}]}),
    ]  # fmt: skip


async def test_the_inbox_page_and_counts_show_what_was_sent() -> None:
    notify = LocalNotify(deliver_after_s=0.01)
    async with serving(notify.app()) as url:
        await _call(url, lambda c: c.send_email_notification("a<b@example.org", EMAIL, FIELDS))
        async with httpx.AsyncClient(base_url=url) as client:
            inbox = (await client.get("/inbox.json")).json()
            counts = (await client.get("/counts.json")).json()
            page = await client.get("/")
    [message] = inbox
    assert message["email_address"] == "a<b@example.org"
    assert "to" not in message
    assert counts == {"messages": 1, "receipts_posted": 0, "refused": 0, "rate_limit": 3000}
    assert page.headers["content-type"].startswith("text/html")
    assert "Local Notify inbox" in page.text
    assert "a&lt;b@example.org" in page.text  # escaped
    assert "AB12CD34" in page.text


async def test_one_receipt_a_message_with_the_token_over_kept_connections() -> None:
    taken: list[tuple[int, str, str]] = []
    receipts = FastAPI()

    @receipts.post("/receipts", status_code=204)
    async def take(request: Request) -> None:
        assert request.client is not None  # over TCP
        receipt = await request.json()
        taken.append((request.client.port, receipt["id"], request.headers["authorization"]))

    async with serving(receipts) as receipts_url:
        notify = LocalNotify(
            callback_url=f"{receipts_url}/receipts", callback_token="t0ken", deliver_after_s=0.01
        )
        async with serving(notify.app()) as url:
            sent = [await _call(url, _email(f"parent{i}@example.org")) for i in range(30)]
            await until(lambda: _posted(notify, 30), what="every receipt")
    assert sorted(i for _, i, _ in taken) == sorted(m["id"] for m in sent)  # each once
    assert {token for *_, token in taken} == {"Bearer t0ken"}
    # At most one connection a poster (8), not one a receipt: a connection a receipt cost
    # more CPU than taking the message.
    assert len({port for port, *_ in taken}) <= 8


async def test_a_failed_receipt_is_tried_again_and_given_up_after_five_tries() -> None:
    tries: dict[str, int] = {}
    failing: set[str] = set()
    receipts = FastAPI()

    @receipts.post("/receipts")
    async def take(request: Request) -> Response:
        receipt = await request.json()
        tries[receipt["to"]] = tries.get(receipt["to"], 0) + 1
        fails = receipt["to"] in failing or tries[receipt["to"]] == 1  # the first always
        return Response(status_code=500 if fails else 204)

    async with serving(receipts) as receipts_url:
        notify = LocalNotify(
            callback_url=f"{receipts_url}/receipts", callback_token="t0ken",
            deliver_after_s=0.01, callback_retry_s=0.05,
        )  # fmt: skip
        failing.add("never@example.org")
        async with serving(notify.app()) as url:
            for to in ("once@example.org", "never@example.org"):
                await _call(url, _email(to))
            await until(lambda: _posted(notify, 1), what="the receipt tried again")
            await until(lambda: _tried(tries, "never@example.org", 5), what="five tries")
            await asyncio.sleep(0.3)  # and no sixth
    assert tries == {"once@example.org": 2, "never@example.org": 5}
    assert notify.receipts_posted == 1


async def _posted(notify: LocalNotify, count: int) -> bool:
    return notify.receipts_posted >= count


async def _tried(tries: dict[str, int], to: str, count: int) -> bool:
    return tries.get(to, 0) >= count
