"""A referral flows through all four services to a family alert."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from scripts.platform import Platform
from tests.e2e.conftest import TEAM_TOLD, wait_for_timeline
from tests.e2e.otlp_receiver import OtlpReceiver
from tests.events import referral_request

SERVICES_IN_ORDER = ["referrals", "plans", "specialists", "notifications"]
JOURNEY_SERVICES = ["referral_received", "plan_drafted", "specialist_assigned", "family_notified"]
JOURNEY_TOPIC = "referrals.referral-received.v1"  # the first step's, consumed by plans


def referral_body(**child: str) -> dict[str, Any]:
    return referral_request(**child)


async def test_each_referral_reaches_the_family_alert_with_a_full_timeline(
    referrals_api: httpx.AsyncClient, platform: Platform, caseworker: dict[str, str]
) -> None:
    created = await asyncio.gather(
        *(referrals_api.post("/v1/referrals", json=referral_body()) for _ in range(5))
    )
    assert [r.status_code for r in created] == [201] * 5
    ids = [r.json()["id"] for r in created]
    finished = await asyncio.gather(*(wait_for_timeline(referrals_api, i, TEAM_TOLD) for i in ids))
    for referral in finished:
        steps = [e["step"] for e in referral["timeline"]]
        assert Counter(steps) == Counter(TEAM_TOLD), steps
        assert steps[0] == "referral_received"
        assert steps.index("plan_drafted") < steps.index("specialist_assigned")
        # The specialist's message went after the match, and it arrived. (Notify's receipt
        # carries its own time, which may come a moment before the sender recorded the send.)
        last_sent = len(steps) - 1 - steps[::-1].index("message_sent")
        assert last_sent > steps.index("specialist_assigned"), steps
        assert steps.count("family_notified") == 2, steps
        services = {e["step"]: e["service"] for e in referral["timeline"]}
        assert [services[s] for s in JOURNEY_SERVICES] == SERVICES_IN_ORDER
        assert referral["status"] == "specialist_assigned"  # messages do not move the status
        seconds = [e["seconds_since_referral"] for e in referral["timeline"]]
        assert seconds == sorted(seconds)

    # Each service's own view agrees with the timeline.
    referral_id = ids[0]
    async with httpx.AsyncClient(timeout=10, headers=caseworker) as client:
        plan = (await client.get(f"{platform.url('plans')}/v1/referrals/{referral_id}/plan")).json()
        assert plan["specialism"] == "speech_and_language_therapy"
        assert plan["status"] == "draft"
        assert all(check["passed"] for check in plan["checks"])
        first = plan["sections"]["F"][0]  # quantified, and citing the standard it came from
        assert first["role"] == "speech_and_language_therapy"
        assert first["standard_id"].startswith("SLCN-")
        assert (first["sessions_per_week"], first["weeks"]) > (0, 0)
        allocation = (
            await client.get(f"{platform.url('specialists')}/v1/referrals/{referral_id}/allocation")
        ).json()
        assert allocation["display_name"] == "Leeds North SLT team"  # serves LS6, close to home
        alerts = (
            await client.get(
                f"{platform.url('notifications')}/v1/referrals/{referral_id}/notifications"
            )
        ).json()
        told = [(a["audience"], a["template"], a["status"], a["channel"]) for a in alerts]
        assert [t for t in told if t[0] == "family"] == [
            ("family", "request-received", "delivered", "email"),
            ("family", "specialist-assigned", "delivered", "email"),
        ]
        # The team allocated is told at its own address that the child is on its caseload.
        assert [t for t in told if t[0] != "family"] == [
            ("team", "child-allocated-to-team", "delivered", "email")
        ]
        assert all("to" not in a and "body" not in a for a in alerts)  # no address, no text
        inbox = platform.local_notify.inbox()  # type: ignore[attr-defined]  # set by the fixture
        mine = [m for m in inbox if m["reference"] in {a["id"] for a in alerts}]
        assert len(mine) == 3  # each message once, through Notify's API
        # The link in the family's message opens their view of this referral in the
        # workspace, signed out: as JSON for a program (a browser's page: journey 5).
        links = {
            link
            for m in mine
            for link in re.findall(r"https?://\S+/family/[\w.-]+", str(m["body"]))
        }
        assert links
        assert all(link.startswith(f"{platform.url('web')}/family/") for link in links), links
        async with httpx.AsyncClient(timeout=10, headers={"Accept": "application/json"}) as family:
            for link in links:
                view = await family.get(link)
                assert view.status_code == 200, view.text
                assert view.json()["reference"] == referral_id[:8].upper()

        metrics = (await client.get(f"{platform.url('plans')}/metrics")).text
        namespace = platform.env["SEND_NAMESPACE"]
        topic = f"{namespace}{JOURNEY_TOPIC}"
        received = {"topic": topic, "outcome": "processed"}
        assert _metric(metrics, "send_events_consumed_total", received) >= 5
        assert _metric(metrics, "send_outbox_published_events_total") >= 5
        assert _metric(metrics, "send_outbox_relay_leader") == 1  # the only replica
        assert "send_faststream_received_messages_total" in metrics  # FastStream's middleware
        assert _metric(metrics, "send_process_resident_memory_bytes") > 0
        assert _metric(metrics, "python_gc_collections_total") > 0

        # Measured every few seconds: wait until the measurement shows the journey done.
        exposition = ""

        async def caught_up() -> bool:
            nonlocal exposition
            exposition = (await client.get(f"{platform.url('plans')}/metrics")).text
            lag = _samples(exposition, "send_consumer_lag", {"topic": topic})
            backlog = _samples(exposition, "send_outbox_backlog")
            oldest = _samples(exposition, "send_outbox_oldest_unpublished_age_seconds")
            return (
                bool(lag)
                and sum(s.value for s in lag) == 0
                and [s.value for s in backlog + oldest] == [0, 0]
            )

        await _wait_until(caught_up, "plans' consumer lag and outbox backlog at 0 in /metrics")
        lag = _samples(exposition, "send_consumer_lag", {"topic": topic})
        assert {s.labels["group"] for s in lag} == {f"{namespace}plans.{JOURNEY_TOPIC}"}


def _samples(exposition: str, name: str, labels: dict[str, str] | None = None) -> list[Sample]:
    return [
        sample
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name and (labels or {}).items() <= sample.labels.items()
    ]


def _metric(exposition: str, name: str, labels: dict[str, str] | None = None) -> float:
    samples = _samples(exposition, name, labels)
    if not samples:
        raise AssertionError(f"{name} {labels or ''} not in /metrics")
    return float(samples[0].value)


async def _wait_until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 30
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def test_one_trace_covers_the_journey_and_holds_no_personal_details(
    referrals_api: httpx.AsyncClient, otlp: OtlpReceiver
) -> None:
    body = referral_body(given_name="Zephyrine", family_name="Quillfeather")
    response = await referrals_api.post("/v1/referrals", json=body)
    assert response.status_code == 201
    referral_id = response.json()["id"]
    await wait_for_timeline(referrals_api, referral_id)

    async def journey_spans() -> list[Any]:
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            spans = otlp.snapshot()
            keyed = {
                s.trace_id for s in spans if s.attributes.get("send.referral_id") == referral_id
            }
            in_trace = [s for s in spans if s.trace_id in keyed]
            services = {s.service for s in in_trace}
            last_step_seen = any(
                s.service == "referrals"
                and s.attributes.get("send.event_type", "").endswith("notification-sent.v1")
                for s in in_trace
            )
            if set(SERVICES_IN_ORDER) <= services and last_step_seen:
                return in_trace
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"journey spans incomplete: {len(spans)} spans received, services in the "
                    f"referral's trace {services}"
                )
            await asyncio.sleep(0.1)

    spans = await journey_spans()
    assert len({s.trace_id for s in spans}) == 1, "the journey split into several traces"
    assert any(s.name.startswith("POST") and s.service == "referrals" for s in spans)
    personal = [
        body["child"]["given_name"],
        body["child"]["family_name"],
        body["child"]["nhs_number"],
        body["family_contact"]["name"],
        body["family_contact"]["email"],
        # The phone number as written, without its space and in international form: not
        # "07700" alone, which a referral's or an event's id (hex) can hold by chance.
        body["family_contact"]["phone"],
        "07700900123",
        "7700900123",
        "LS6 2AB",
    ]
    leaks = [(s.service, s.name, p) for s in otlp.snapshot() for p in personal if p in s.everything]
    assert leaks == []


async def test_invalid_referral_is_refused_with_the_field_and_the_reason(
    referrals_api: httpx.AsyncClient,
) -> None:
    body = referral_body()
    body["child"]["nhs_number"] = "9434765918"  # wrong check digit
    body["family_contact"]["email"] = None  # preferred channel is email
    body["primary_need"] = "XYZ"
    response = await referrals_api.post("/v1/referrals", json=body)
    assert response.status_code == 422
    problems = {tuple(d["loc"][1:]): d["msg"] for d in response.json()["detail"]}
    assert "Modulus 11" in problems[("child", "nhs_number")]
    assert ("primary_need",) in problems
    assert "email" in problems[("family_contact",)]


async def test_unknown_referral_is_404(referrals_api: httpx.AsyncClient) -> None:
    response = await referrals_api.get(f"/v1/referrals/{uuid4()}")
    assert response.status_code == 404
