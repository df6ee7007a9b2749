"""A plan's annual review on real PostgreSQL (the application role, row-level security): the
scheduler opens it before it is due (once, across restarts, with an injected clock), each
caseworker step in the law's order with its deadline met or set, the at-risk and missed
warnings of each limit sent once, the decision scheduling next year's review, and the caseload
showing the nearest review deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.live.review_watch import ReviewWatch

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.dates import add_months
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import (
    LEEDS,
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)
from tests.integration.test_deadline_metrics import _warnings as metric_warnings
from tests.integration.test_live_plans_import import PATH, plan
from tests.logging_state import restored_logging


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("annual_reviews", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    # The service configures the process's logging as it starts: put it back for later tests
    # (a module-scoped app left its stderr handler on the root, and a later test's log capture
    # saw nothing of the services).
    with restored_logging():
        async with referrals_service(owner_url, identity) as running:
            yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _imported(app: FastAPI, identity: IdentityProvider, **changes: Any) -> str:
    async with await signed_in(app, identity, "leeds-manager") as manager:
        answer = await manager.post(PATH, json={"plans": [plan(**changes)]})
    assert answer.status_code == 200, answer.text
    referral_id: str = answer.json()["plans"][0]["referral_id"]
    return referral_id


async def _warnings(owner_url: str, referral_id: str) -> list[tuple[str, str]]:
    return [
        (topic.split(".")[1], data.get("deadline", ""))
        for topic, data in await outbox_events(owner_url, referral_id)
        if topic.startswith("referrals.annual-review-")
    ]


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    answer = await client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_scheduler_opens_each_review_once_before_it_is_due(
    app: FastAPI,
    identity: IdentityProvider,
    owner_url: str,
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    due = today + timedelta(days=60)
    referral_id = await _imported(
        app, identity, last_reviewed_on=str(today - timedelta(days=300)), next_review_on=str(due)
    )
    work = service_state(app).work
    conn = await asyncpg.connect(service_url(owner_url))
    try:

        async def check(day: date) -> list[tuple[str, str]]:
            watch = ReviewWatch(open_days=70, at_risk_days=10, interval_s=60, today=lambda: day)
            await watch.check(work, conn)  # a new watch each time: a restart
            return await _warnings(owner_url, referral_id)

        assert await check(due - timedelta(days=71)) == []
        opened = [("annual-review-opened", "")]
        assert await check(due - timedelta(days=70)) == opened
        assert await check(due - timedelta(days=69)) == opened  # once
        at_risk = [*opened, ("annual-review-deadline-at-risk", "review_meeting")]
        assert await check(due - timedelta(days=10)) == at_risk
        # Down for a while, then back: the meeting's limit missed, once.
        missed = [*at_risk, ("annual-review-deadline-missed", "review_meeting")]
        assert await check(due + timedelta(days=30)) == missed
        assert await check(due + timedelta(days=31)) == missed
    finally:
        await conn.close()
    page = (await caseworker.get("/v1/referrals", params={"limit": 200})).json()["items"]
    (row,) = [i for i in page if i["id"] == referral_id]
    assert (row["next_deadline"], row["next_due_on"]) == ("review_meeting", str(due))


async def test_each_step_in_order_meets_its_limit_and_sets_the_next(
    app: FastAPI,
    identity: IdentityProvider,
    owner_url: str,
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    referral_id = await _imported(
        app, identity, last_reviewed_on=str(today - timedelta(days=330)), next_review_on=None
    )
    base = f"/v1/referrals/{referral_id}/annual-review"
    work = service_state(app).work
    conn = await asyncpg.connect(service_url(owner_url))
    try:
        watch = ReviewWatch(open_days=70, at_risk_days=10, interval_s=60, today=lambda: today)
        await watch.check(work, conn)
        early = await caseworker.post(f"{base}/meeting-held", json={"held_on": str(today)})
        assert early.status_code == 409, early.text  # not before it is arranged and invited
        meeting = today + timedelta(days=21)
        reviews = await _post(caseworker, f"{base}/meeting", {"meeting_on": str(meeting)})
        deadlines = {d["kind"]: d for d in reviews[0]["deadlines"]}
        assert deadlines["review_invitations"]["due_on"] == str(meeting - timedelta(days=14))
        short = await caseworker.post(
            f"{base}/invitations", json={"sent_on": str(today), "invitees": ["family", "school"]}
        )
        assert short.status_code == 422, short.text
        assert short.json()["detail"][0]["loc"] == ["body", "invitees"]
        everyone = ["family", "school", "health", "social_care"]
        reviews = await _post(
            caseworker, f"{base}/invitations", {"sent_on": str(today), "invitees": everyone}
        )
        assert {d["kind"]: d["met_on"] for d in reviews[0]["deadlines"]}["review_invitations"] == (
            str(today)
        )
        # Held earlier than arranged (the family asked): recorded as held that day.
        reviews = await _post(caseworker, f"{base}/meeting-held", {"held_on": str(today)})
        deadlines = {d["kind"]: d for d in reviews[0]["deadlines"]}
        assert deadlines["review_meeting"]["met_on"] == str(today)
        assert deadlines["review_report"]["due_on"] == str(today + timedelta(days=14))
        assert deadlines["review_decision"]["due_on"] == str(today + timedelta(days=28))

        async def check(day: date) -> list[tuple[str, str]]:
            later = ReviewWatch(open_days=70, at_risk_days=10, interval_s=60, today=lambda: day)
            await later.check(work, conn)
            return [w for w in await _warnings(owner_url, referral_id) if "deadline" in w[0]]

        warned = [
            ("annual-review-deadline-missed", "review_report"),
            ("annual-review-deadline-at-risk", "review_decision"),
        ]
        assert sorted(await check(today + timedelta(days=20))) == sorted(warned)
        assert sorted(await check(today + timedelta(days=21))) == sorted(warned)  # once each
        await _post(caseworker, f"{base}/report", {"sent_on": str(today)})
        reviews = await _post(
            caseworker, f"{base}/decision", {"decision": "keep", "decided_on": str(today)}
        )
    finally:
        await conn.close()
    assert [r["stage"] for r in reviews] == ["scheduled", "decided"]
    assert reviews[0]["due_on"] == str(add_months(today, 12))
    assert reviews[1]["decision"] == "keep"
    steps = [t for t, _ in await _warnings(owner_url, referral_id) if "deadline" not in t]
    assert steps == [
        "annual-review-opened",
        "annual-review-meeting-arranged",
        "annual-review-invitations-sent",
        "annual-review-meeting-held",
        "annual-review-report-sent",
        "annual-review-decided",
    ]
    view = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()
    timeline = [t["step"] for t in view["timeline"]]
    assert "annual_review_decided" in timeline
    again = await caseworker.post(
        f"{base}/decision", json={"decision": "keep", "decided_on": str(today)}
    )
    assert again.status_code == 409  # next year's review is not yet held


async def test_a_review_meeting_brought_in_puts_the_review_where_it_stands(
    app: FastAPI, identity: IdentityProvider, caseworker: httpx.AsyncClient, today: date
) -> None:
    held = today - timedelta(days=20)
    meeting = {"step": "annual_review_meeting", "on": str(held)}
    referral_id = await _imported(
        app, identity, last_reviewed_on=str(today - timedelta(days=360)), open_steps=[meeting]
    )
    (review,) = (await caseworker.get(f"/v1/referrals/{referral_id}/annual-reviews")).json()
    assert (review["stage"], review["held_on"], review["opened_on"]) == (
        "meeting_held", str(held), str(today),
    )  # fmt: skip
    deadlines = {d["kind"]: d for d in review["deadlines"]}
    assert deadlines["review_meeting"]["met_on"] == str(held)
    assert deadlines["review_report"]["due_on"] == str(held + timedelta(days=14))  # passed
    assert deadlines["review_decision"]["due_on"] == str(held + timedelta(days=28))
    coming = today + timedelta(days=30)
    arranged = await _imported(
        app,
        identity,
        last_reviewed_on=str(today - timedelta(days=340)),
        open_steps=[{"step": "annual_review_meeting", "on": str(coming)}],
    )
    (review,) = (await caseworker.get(f"/v1/referrals/{arranged}/annual-reviews")).json()
    assert (review["stage"], review["meeting_on"]) == ("meeting_arranged", str(coming))
    invite_by = {d["kind"]: d["due_on"] for d in review["deadlines"]}["review_invitations"]
    assert invite_by == str(coming - timedelta(days=14))


async def test_a_final_plan_issued_here_has_its_first_review_scheduled(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    start = today - timedelta(weeks=20)
    made = await caseworker.post(
        "/v1/referrals", json=referral_body(track="ehc", received_on=start)
    )
    assert made.status_code == 201, made.text
    path = f"/v1/referrals/{made.json()['id']}"
    day = start + timedelta(weeks=5)
    await _post(
        caseworker, f"{path}/assessment-decision", {"decision": "assess", "decided_on": str(day)}
    )
    kinds = ["parent", "educational", "medical", "educational_psychology", "social_care"]
    await _post(caseworker, f"{path}/advice-requests", {"kinds": kinds, "requested_on": str(day)})
    decided = str(start + timedelta(weeks=12))
    await _post(caseworker, f"{path}/plan-decision", {"decision": "issue", "decided_on": decided})
    await _post(caseworker, f"{path}/draft-plan", {"issued_on": str(start + timedelta(weeks=14))})
    final = start + timedelta(weeks=19)
    await _post(caseworker, f"{path}/final-plan", {"issued_on": str(final)})
    (review,) = (await caseworker.get(f"{path}/annual-reviews")).json()
    assert (review["stage"], review["due_on"]) == ("scheduled", str(add_months(final, 12)))


async def test_another_councils_caseworker_finds_no_review_to_read_or_change(
    app: FastAPI, identity: IdentityProvider, today: date
) -> None:
    referral_id = await _imported(app, identity)
    async with await signed_in(app, identity, "bradford-caseworker") as bradford:
        read = await bradford.get(f"/v1/referrals/{referral_id}/annual-reviews")
        assert read.status_code == 404
        meeting = {"meeting_on": str(today + timedelta(days=30))}
        changed = await bradford.post(
            f"/v1/referrals/{referral_id}/annual-review/meeting", json=meeting
        )
        assert changed.status_code == 404
        amended = await bradford.post(
            f"/v1/referrals/{referral_id}/annual-review/amendments/final",
            json={"issued_on": str(today)},
        )
        assert amended.status_code == 404


async def test_the_caseloads_at_risk_filter_finds_a_review_near_its_limit(
    app: FastAPI, identity: IdentityProvider, caseworker: httpx.AsyncClient, today: date
) -> None:
    near = await _imported(
        app,
        identity,
        last_reviewed_on=str(today - timedelta(days=300)),
        next_review_on=str(today + timedelta(days=5)),
    )
    far = await _imported(
        app,
        identity,
        last_reviewed_on=str(today - timedelta(days=200)),
        next_review_on=str(today + timedelta(days=100)),
    )
    page = await caseworker.get("/v1/referrals", params={"deadline": "at_risk", "limit": 200})
    assert page.status_code == 200, page.text
    found = {i["id"] for i in page.json()["items"]}
    assert near in found
    assert far not in found


async def test_review_warnings_are_counted_once_in_the_metrics_the_alerts_watch(
    app: FastAPI, identity: IdentityProvider, owner_url: str, today: date
) -> None:
    due = today + timedelta(days=5)
    await _imported(
        app, identity, last_reviewed_on=str(today - timedelta(days=300)), next_review_on=str(due)
    )
    at_risk = ("send_statutory_deadlines_at_risk_total", LEEDS, "review_meeting")
    missed = ("send_statutory_deadlines_missed_total", LEEDS, "review_meeting")
    before = await metric_warnings(app)  # the process's counters: other tests count too
    conn = await asyncpg.connect(service_url(owner_url))
    try:

        async def check(day: date) -> dict[tuple[str, str, str], float]:
            watch = ReviewWatch(open_days=70, at_risk_days=10, interval_s=60, today=lambda: day)
            await watch.check(service_state(app).work, conn)
            now = await metric_warnings(app)
            return {k: v - before.get(k, 0) for k, v in now.items() if k in (at_risk, missed)}

        assert (await check(today))[at_risk] >= 1
        counted = await check(today)
        assert await check(today) == counted  # not again
        after = await check(due + timedelta(days=1))
        assert after[missed] >= 1
        assert await check(due + timedelta(days=2)) == after
    finally:
        await conn.close()


async def test_a_step_sent_twice_with_its_key_is_recorded_once(
    app: FastAPI,
    identity: IdentityProvider,
    owner_url: str,
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    referral_id = await _imported(
        app, identity, last_reviewed_on=str(today - timedelta(days=330)), next_review_on=None
    )
    conn = await asyncpg.connect(service_url(owner_url))
    try:
        watch = ReviewWatch(open_days=70, at_risk_days=10, interval_s=60, today=lambda: today)
        await watch.check(service_state(app).work, conn)
    finally:
        await conn.close()
    path = f"/v1/referrals/{referral_id}/annual-review/meeting"
    body = {"meeting_on": str(today + timedelta(days=20))}
    headers = {"Idempotency-Key": "review-meeting-1"}
    first = await caseworker.post(path, json=body, headers=headers)
    again = await caseworker.post(path, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    steps = [t for t, _ in await _warnings(owner_url, referral_id)]
    assert steps.count("annual-review-meeting-arranged") == 1
    other = await caseworker.post(
        path, json={"meeting_on": str(today + timedelta(days=25))}, headers=headers
    )
    assert other.status_code == 422  # the same key with another request
