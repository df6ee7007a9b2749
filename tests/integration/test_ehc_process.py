"""The statutory EHC process through the referrals API on real PostgreSQL: each step and its
deadline, exceptions moving deadlines, the deadline scheduler across a restart (an injected
clock, no sleeping), the caseload and the SEN2 timeliness report on a seeded year."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.deadlines import DeadlineWatch

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import (
    BRADFORD,
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)

EVERY_CHILDS_ADVICE = ["parent", "educational", "educational_psychology", "medical", "social_care"]


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("ehc", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, deadline_at_risk_days=10) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def _deadlines(ehc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in ehc["deadlines"]}


async def test_each_statutory_step_in_order_with_its_deadline_event_and_timeline(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    start = today - timedelta(weeks=21)
    body = {**referral_body(track="ehc", received_on=start), "secondary_needs": ["HI"]}
    created = await _post(caseworker, "/v1/referrals", body)
    path = f"/v1/referrals/{created['id']}"
    ehc = (await caseworker.get(path)).json()["ehc"]
    due = {k: d["due_on"] for k, d in _deadlines(ehc).items()}
    assert due == {
        "decision": str(start + timedelta(weeks=6)),
        "issue_decision": str(start + timedelta(weeks=16)),
        "draft_plan": str(start + timedelta(weeks=20, days=-15)),
        "final_plan": str(start + timedelta(weeks=20)),
    }
    too_early = await caseworker.post(f"{path}/final-plan", json={"issued_on": str(today)})
    assert too_early.status_code == 409
    assert "assessment_requested" in too_early.json()["detail"]

    day = start + timedelta(weeks=5)
    ehc = await _post(
        caseworker, f"{path}/assessment-decision", {"decision": "assess", "decided_on": str(day)}
    )
    assert (ehc["stage"], _deadlines(ehc)["decision"]["state"]) == ("assessing", "met")
    no_ep = await caseworker.post(
        f"{path}/plan-decision", json={"decision": "issue", "decided_on": str(day)}
    )
    assert no_ep.status_code == 409
    assert "educational_psychology" in no_ep.json()["detail"]
    ehc = await _post(
        caseworker,
        f"{path}/advice-requests",
        {"kinds": ["educational_psychology", "medical"], "requested_on": str(day)},
    )
    assert _deadlines(ehc)["advice:medical"]["due_on"] == str(day + timedelta(weeks=6))
    ehc = await _post(
        caseworker,
        f"{path}/advice-requests/educational_psychology/received",
        {"received_on": str(day + timedelta(weeks=4))},
    )
    assert _deadlines(ehc)["advice:educational_psychology"]["state"] == "met"
    assert _deadlines(ehc)["advice:medical"]["state"] == "missed"  # 16 weeks ago, not come
    # The family's, the head teacher's and social care advice for every child (Reg 6(1)(a),
    # (b), (e)), and a teacher of the deaf: hearing is a need too.
    missing = await caseworker.post(
        f"{path}/plan-decision",
        json={"decision": "issue", "decided_on": str(start + timedelta(weeks=12))},
    )
    assert missing.status_code == 409
    assert (
        "['educational', 'parent', 'social_care', 'teacher_of_the_deaf']"
        in missing.json()["detail"]
    )
    others = ["parent", "educational", "social_care", "teacher_of_the_deaf"]
    ehc = await _post(
        caseworker, f"{path}/advice-requests", {"kinds": others, "requested_on": str(day)}
    )
    unreceived = {"advice:medical", *(f"advice:{k}" for k in others)}
    assert "advice:parent" not in _deadlines(ehc)  # Reg 8 binds advisers, not the family
    ehc = await _post(
        caseworker,
        f"{path}/plan-decision",
        {"decision": "issue", "decided_on": str(start + timedelta(weeks=12))},
    )
    draft_day = start + timedelta(weeks=14)
    ehc = await _post(caseworker, f"{path}/draft-plan", {"issued_on": str(draft_day)})
    assert ehc["comments_due"] == str(draft_day + timedelta(days=15))
    final_day = start + timedelta(weeks=19)
    ehc = await _post(caseworker, f"{path}/final-plan", {"issued_on": str(final_day)})
    assert ehc["stage"] == "final_plan_issued"
    assert {d["state"] for k, d in _deadlines(ehc).items() if k not in unreceived} == {"met"}

    view = (await caseworker.get(path)).json()
    assert view["closed"] is True
    steps = [(t["step"], t["detail"]) for t in view["timeline"]]
    assert steps == [
        ("referral_received", None),
        ("ehc_assessment_requested", None),
        ("others_notified", "designated_clinical_officer,social_care"),  # Reg 4(2)
        ("assessment_decided", "assess"),
        ("others_notified", "designated_clinical_officer,social_care"),  # Reg 5(2)
        ("advice_requested", "educational_psychology,medical"),
        ("advice_received", "educational_psychology"),
        ("advice_requested", "parent,educational,social_care,teacher_of_the_deaf"),
        ("plan_issue_decided", "issue"),
        ("draft_plan_issued", None),
        ("final_plan_issued", None),
        ("others_notified", "health_commissioning"),  # Reg 13(2); no school address configured
    ]
    events = await outbox_events(owner_url, created["id"])
    topics = [topic for topic, _ in events]
    assert topics == [
        "referrals.referral-received.v1",
        "referrals.family-contact-registered.v1",
        "referrals.ehc-assessment-requested.v1",
        "referrals.child-identified.v1",
        "referrals.others-notified.v1",
        "referrals.assessment-decided.v1",
        "referrals.others-notified.v1",
        "referrals.advice-requested.v1",
        "referrals.advice-received.v1",
        "referrals.advice-requested.v1",
        "referrals.plan-issue-decided.v1",
        "referrals.draft-plan-issued.v1",
        "referrals.final-plan-issued.v1",
        "referrals.others-notified.v1",
    ]
    received, final = events[0][1], events[-2][1]
    assert received["track"] == "ehc"  # plans and specialists start support at once as well
    assert (final["within_20_weeks"], final["appeal_by"]) == (True, str(_months(final_day, 2)))
    assert final["requested_by"] == "parent"


def _months(day: date, months: int) -> date:
    from shared.dates import add_months

    return add_months(day, months)


async def test_a_refusal_carries_its_reason_and_appeal_date_and_ends_the_request(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    start = today - timedelta(weeks=3)
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=start)
    )
    path = f"/v1/referrals/{created['id']}"
    no_reason = await caseworker.post(
        f"{path}/assessment-decision", json={"decision": "refuse", "decided_on": str(today)}
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    future = await caseworker.post(
        f"{path}/assessment-decision",
        json={"decision": "assess", "decided_on": str(today + timedelta(days=1))},
    )
    assert future.json()["detail"][0]["loc"] == ["body", "decided_on"]
    ehc = await _post(
        caseworker,
        f"{path}/assessment-decision",
        {
            "decision": "refuse",
            "decided_on": str(today),
            "reason": "no_evidence_of_special_educational_needs",
            "note": "Ann is making good progress with the support in place.",
        },
    )
    assert ehc["stage"] == "assessment_refused"
    assert {d["state"] for d in ehc["deadlines"] if d["kind"] != "decision"} == {"cancelled"}
    _, refusal = (await outbox_events(owner_url, created["id"]))[-2]  # then others told
    assert refusal["refusal_reason"] == "no_evidence_of_special_educational_needs"
    assert refusal["appeal_by"] == str(_months(today, 2))
    assert "Ann" not in str(refusal)  # the note stays here
    assert (await caseworker.get(path)).json()["closed"] is True


async def test_existing_advice_agreed_by_all_three_counts_as_sought_for_the_plan_decision(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    """Reg 6(4): existing medical advice, recorded with what it is, its date and who agreed,
    lets the council decide whether to issue without asking for medical advice again (before,
    the decision was refused for it). The family's own advice cannot be existing advice."""
    start = today - timedelta(weeks=8)
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=start)
    )
    path = f"/v1/referrals/{created['id']}"
    await _post(
        caseworker, f"{path}/assessment-decision", {"decision": "assess", "decided_on": str(start)}
    )
    asked = ["parent", "educational", "educational_psychology", "social_care"]
    await _post(caseworker, f"{path}/advice-requests", {"kinds": asked, "requested_on": str(start)})
    refused = await caseworker.post(
        f"{path}/plan-decision", json={"decision": "issue", "decided_on": str(today)}
    )
    assert refused.status_code == 409
    assert "['medical']" in refused.json()["detail"]
    existing = {
        "kind": "medical",
        "description": "Community paediatrician's report after the annual check",
        "advice_dated": str(start - timedelta(weeks=10)),
        "given_by": "Dr A Example, community paediatrics",
        "giver_agreed": True,
        "family_agreed_by": "parent",
        "agreed_on": str(start + timedelta(days=3)),
    }
    own = await caseworker.post(f"{path}/existing-advice", json={**existing, "kind": "parent"})
    assert own.status_code == 422
    assert own.json()["detail"][0]["loc"][-1] == "kind"
    unagreed = await caseworker.post(
        f"{path}/existing-advice", json={**existing, "giver_agreed": False}
    )
    assert unagreed.status_code == 422
    assert unagreed.json()["detail"][0]["loc"][-1] == "giver_agreed"
    ehc = await _post(caseworker, f"{path}/existing-advice", existing)
    [recorded] = ehc["existing_advice"]
    assert (recorded["kind"], recorded["advice_dated"], recorded["agreed_on"]) == (
        "medical",
        existing["advice_dated"],
        existing["agreed_on"],
    )
    assert (recorded["given_by"], recorded["family_agreed_by"]) == (existing["given_by"], "parent")
    assert recorded["recorded_by"] == "leeds-caseworker"
    again = await caseworker.post(f"{path}/existing-advice", json=existing)
    assert again.status_code == 409
    asked_too = await caseworker.post(
        f"{path}/advice-requests", json={"kinds": ["medical"], "requested_on": str(today)}
    )
    assert asked_too.status_code == 409
    topic, agreed = (await outbox_events(owner_url, created["id"]))[-1]
    assert topic == "referrals.existing-advice-agreed.v1"
    assert "paediatrician" not in str(agreed)
    assert "Example" not in str(agreed)
    ehc = await _post(
        caseworker, f"{path}/plan-decision", {"decision": "issue", "decided_on": str(today)}
    )
    assert ehc["stage"] == "plan_to_be_issued"
    steps = [s["step"] for s in (await caseworker.get(path)).json()["timeline"]]
    assert "existing_advice_agreed" in steps


async def test_a_professionals_ask_for_an_assessment_waits_for_the_council_to_decide(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    """s36(1)/s24: a health professional's referral asking for an EHC needs assessment is no
    request: it brings the child to the council's attention, no clock runs and the family is
    promised no EHC date until a caseworker treats it as a request; then the clock starts on
    the day the council received the referral. Kept as support, nothing starts."""
    received = today - timedelta(weeks=1)
    asked: dict[str, Any] = {
        **referral_body(track="ehc", received_on=received),
        "requested_by": "health",
    }
    created = await _post(caseworker, "/v1/referrals", asked)
    assert created["track"] == "support"
    path = f"/v1/referrals/{created['id']}"
    view = (await caseworker.get(path)).json()
    assert (view["track"], view["assessment_suggested"], view["ehc"]) == ("support", True, None)
    topics = [t for t, _ in await outbox_events(owner_url, created["id"])]
    assert "referrals.ehc-assessment-requested.v1" not in topics

    decided = await _post(
        caseworker, f"{path}/assessment-suggestion", {"decision": "treat_as_request"}
    )
    ehc = decided["ehc"]
    assert (ehc["requested_on"], ehc["requested_by"]) == (str(received), "health")
    assert _deadlines(ehc)["decision"]["statutory_due_on"] == str(received + timedelta(weeks=6))
    view = (await caseworker.get(path)).json()
    assert (view["track"], view["assessment_suggested"]) == ("ehc", False)
    again = await caseworker.post(
        f"{path}/assessment-suggestion", json={"decision": "keep_as_support"}
    )
    assert again.status_code == 409

    kept = await _post(
        caseworker,
        "/v1/referrals",
        {
            **asked,
            **referral_body(received_on=received),
            "requested_by": "social_care",
            "track": "ehc",
        },
    )
    kept_path = f"/v1/referrals/{kept['id']}"
    answer = await _post(
        caseworker, f"{kept_path}/assessment-suggestion", {"decision": "keep_as_support"}
    )
    assert answer == {"decision": "keep_as_support", "ehc": None}
    view = (await caseworker.get(kept_path)).json()
    assert (view["track"], view["assessment_suggested"], view["ehc"]) == ("support", False, None)
    parent = await caseworker.post(
        f"/v1/referrals/{(await _post(caseworker, '/v1/referrals', referral_body()))['id']}"
        "/assessment-suggestion",
        json={"decision": "treat_as_request"},
    )
    assert parent.status_code == 409  # no professional asked: escalate it instead


async def test_an_advisers_6_weeks_run_from_receiving_the_request_and_may_be_excused(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    """Reg 8: the adviser's limit runs from their receiving the request; Reg 8(2) excuses it
    (a missed appointment): the deadline shows excused, is no longer watched, and sets no new
    date. Advice already excused, or received, is not excused again (409)."""
    start = today - timedelta(weeks=10)
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=start)
    )
    path = f"/v1/referrals/{created['id']}"
    await _post(
        caseworker, f"{path}/assessment-decision", {"decision": "assess", "decided_on": str(start)}
    )
    sent, arrived = start + timedelta(days=1), start + timedelta(days=4)
    ehc = await _post(
        caseworker,
        f"{path}/advice-requests",
        {"kinds": ["medical"], "requested_on": str(sent), "advisers_received_on": str(arrived)},
    )
    deadline = _deadlines(ehc)["advice:medical"]
    assert deadline["statutory_due_on"] == str(arrived + timedelta(weeks=6))
    assert deadline["state"] == "missed"
    excused = {"because": "missed_appointment", "reason": "The appointment was missed"}
    ehc = await _post(caseworker, f"{path}/advice-requests/medical/excused", excused)
    assert _deadlines(ehc)["advice:medical"]["state"] == "excused"
    assert _deadlines(ehc)["advice:medical"]["due_on"] == deadline["due_on"]  # no new date
    assert ehc["advice"][0]["excused_because"] == "missed_appointment"
    again = await caseworker.post(f"{path}/advice-requests/medical/excused", json=excused)
    assert again.status_code == 409
    steps = [s["step"] for s in (await caseworker.get(path)).json()["timeline"]]
    assert "advice_excused" in steps


async def test_a_support_request_escalated_starts_the_clock_on_the_day_of_the_request(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    created = await _post(
        caseworker, "/v1/referrals", referral_body(received_on=today - timedelta(10))
    )
    path = f"/v1/referrals/{created['id']}"
    support = (await caseworker.get(path)).json()
    assert (support["track"], support["ehc"]) == ("support", None)
    step = await caseworker.post(
        f"{path}/assessment-decision", json={"decision": "assess", "decided_on": str(today)}
    )
    assert step.status_code == 409
    assert "escalate" in step.json()["detail"]
    asked = today - timedelta(days=2)
    ehc = await _post(
        caseworker, f"{path}/escalate", {"requested_on": str(asked), "requested_by": "school"}
    )
    assert (ehc["requested_on"], ehc["requested_by"], ehc["escalated"]) == (
        str(asked),
        "school",
        True,
    )
    assert _deadlines(ehc)["decision"]["due_on"] == str(asked + timedelta(weeks=6))
    again = await caseworker.post(f"{path}/escalate", json={"requested_by": "parent"})
    assert again.status_code == 409
    assert (await caseworker.get(path)).json()["track"] == "ehc"


async def test_exceptions_move_the_open_deadlines_and_keep_the_statutory_dates(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    start = today - timedelta(weeks=2)
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=start)
    )
    path = f"/v1/referrals/{created['id']}"
    short = await caseworker.post(
        f"{path}/exceptions",
        json={
            "kind": "school_closure",
            "starts_on": str(start),
            "ends_on": str(start + timedelta(days=10)),
            "reason": "Flood damage",
        },
    )
    assert short.status_code == 422
    assert "4 weeks" in short.json()["detail"][0]["msg"]
    # A school closure excuses a limit only when the head teacher's advice was asked for from
    # a week before the closure to a week before it ends (Reg 5(4)(a)): it was not asked.
    unasked = await caseworker.post(
        f"{path}/exceptions",
        json={
            "kind": "school_closure",
            "starts_on": str(start),
            "ends_on": str(start + timedelta(days=35)),
            "reason": "Flood damage",
        },
    )
    assert unasked.status_code == 422
    assert unasked.json()["detail"][0]["loc"][-1] == "kind"
    assert "head teacher" in unasked.json()["detail"][0]["msg"]
    ehc = await _post(
        caseworker,
        f"{path}/exceptions",
        {
            "kind": "family_away",
            "starts_on": str(start + timedelta(days=1)),
            "ends_on": str(start + timedelta(days=35)),
            "reason": "Family abroad caring for a relative",
        },
    )
    decision = _deadlines(ehc)["decision"]
    assert decision["statutory_due_on"] == str(start + timedelta(weeks=6))
    assert decision["due_on"] == str(start + timedelta(weeks=6, days=35))
    assert _deadlines(ehc)["final_plan"]["due_on"] == str(start + timedelta(weeks=20, days=35))
    assert ehc["exceptions"][0]["reason"] == "Family abroad caring for a relative"
    topic, recorded = (await outbox_events(owner_url, created["id"]))[-1]
    assert topic == "referrals.statutory-exception-recorded.v1"
    assert recorded["deadlines"]["decision"] == decision["due_on"]
    assert "abroad" not in str(recorded)


async def test_at_risk_and_missed_are_sent_once_each_across_a_scheduler_restart(
    caseworker: httpx.AsyncClient, app: FastAPI, owner_url: str, today: date
) -> None:
    start = today - timedelta(days=1)
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=start)
    )
    referral_id = created["id"]
    decision_due = start + timedelta(weeks=6)
    work = service_state(app).work
    conn = await asyncpg.connect(service_url(owner_url))
    try:

        async def check(day: date) -> list[tuple[str, str]]:
            watch = DeadlineWatch(at_risk_days=10, interval_s=60, today=lambda: day)  # a restart
            await watch.check(work, conn)
            return [
                (topic, data["deadline"])
                for topic, data in await outbox_events(owner_url, referral_id)
                if topic.startswith("referrals.deadline-")
            ]

        assert await check(decision_due - timedelta(days=11)) == []
        at_risk = [("referrals.deadline-at-risk.v1", "decision")]
        assert await check(decision_due - timedelta(days=10)) == at_risk
        assert await check(decision_due - timedelta(days=5)) == at_risk  # not again
        assert await check(decision_due) == at_risk
        missed = [*at_risk, ("referrals.deadline-missed.v1", "decision")]
        assert await check(decision_due + timedelta(days=1)) == missed
        # Down for weeks, then back: each missed deadline once, no stale at-risk warnings.
        final_due = start + timedelta(weeks=20)
        sent = await check(final_due + timedelta(days=30))
        assert sent == [
            *missed,
            ("referrals.deadline-missed.v1", "issue_decision"),
            ("referrals.deadline-missed.v1", "draft_plan"),
            ("referrals.deadline-missed.v1", "final_plan"),
        ]
        assert await check(final_due + timedelta(days=31)) == sent
    finally:
        await conn.close()
    view = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()
    warnings = [(t["step"], t["detail"]) for t in view["timeline"] if "deadline" in t["step"]]
    assert warnings[:2] == [("deadline_at_risk", "decision"), ("deadline_missed", "decision")]
    assert len(warnings) == 5
    _, event = [e for e in await outbox_events(owner_url, referral_id)][-4]
    assert (event["due_on"], event["requested_by"]) == (str(decision_due), "parent")


async def test_the_caseload_is_ordered_by_nearest_deadline_and_paginated(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    await _post(caseworker, "/v1/referrals", referral_body())  # no clock: listed last
    later = await _post(caseworker, "/v1/referrals", referral_body(track="ehc", received_on=today))
    sooner = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=today - timedelta(20))
    )
    cut = str(today + timedelta(weeks=6, days=1))
    page = (
        await caseworker.get(
            "/v1/referrals",
            params={"track": "ehc", "due_before": cut, "status": "assessment_requested"},
        )
    ).json()
    ids = [item["id"] for item in page["items"]]
    assert ids.index(sooner["id"]) < ids.index(later["id"])
    dues = [item["next_due_on"] for item in page["items"]]
    assert dues == sorted(dues)
    first = (await caseworker.get("/v1/referrals", params={"limit": 1})).json()
    second = (await caseworker.get("/v1/referrals", params={"limit": 1, "offset": 1})).json()
    assert first["next_offset"] == 1
    assert first["items"][0]["id"] != second["items"][0]["id"]
    support = (await caseworker.get("/v1/referrals", params={"track": "support"})).json()
    assert {i["track"] for i in support["items"]} == {"support"}
    assert support["items"][0]["next_due_on"] is None
    bad = await caseworker.get("/v1/referrals", params={"status": "nonsense"})
    assert bad.status_code == 422


async def test_the_timeliness_report_counts_a_seeded_year_as_sen2_does(
    app: FastAPI, identity: IdentityProvider, today: date
) -> None:
    year = today.year - 1
    jan = date(year, 1, 5)
    async with await signed_in(app, identity, "bradford-caseworker") as bradford:

        async def request(received: date, *steps: tuple[str, dict[str, Any]]) -> str:
            body = referral_body(track="ehc", council=BRADFORD, received_on=received)
            created = await _post(bradford, "/v1/referrals", body)
            for step, step_body in steps:
                await _post(bradford, f"/v1/referrals/{created['id']}/{step}", step_body)
            return str(created["id"])

        def plan(received: date, final: date) -> list[tuple[str, dict[str, Any]]]:
            decided = received + timedelta(weeks=5)
            return [
                ("assessment-decision", {"decision": "assess", "decided_on": str(decided)}),
                (
                    "advice-requests",
                    {"kinds": EVERY_CHILDS_ADVICE, "requested_on": str(decided)},
                ),
                ("plan-decision", {"decision": "issue", "decided_on": str(decided + timedelta(7))}),
                ("draft-plan", {"issued_on": str(decided + timedelta(14))}),
                ("final-plan", {"issued_on": str(final)}),
            ]

        on_time = jan + timedelta(weeks=20)
        await request(jan, *plan(jan, on_time))
        await request(jan, *plan(jan, on_time - timedelta(days=3)))
        await request(jan, *plan(jan, on_time + timedelta(days=1)))  # a day late
        excepted = [
            (
                "exceptions",
                {
                    "kind": "family_away",
                    "starts_on": str(jan + timedelta(days=1)),
                    "ends_on": str(jan + timedelta(days=30)),
                    "reason": "closed for rebuilding",
                },
            )
        ]
        await request(jan, *excepted, *plan(jan, on_time + timedelta(days=20)))  # exception
        refuse = {
            "decision": "refuse",
            "decided_on": str(jan + timedelta(weeks=4)),
            "reason": "needs_met_from_available_provision",
        }
        await request(jan, ("assessment-decision", refuse))
        await request(date(year, 11, 1))  # open at the year's end: 8 weeks
        await request(date(year, 6, 1))  # open: 30 weeks
        await request(date(year - 1, 12, 1))  # last year's request, open: 56 weeks

    async with await signed_in(app, identity, "bradford-manager") as manager:
        response = await manager.get(
            "/v1/reports/timeliness", params={"local_authority": BRADFORD, "year": year}
        )
        assert response.status_code == 200, response.text
        report = response.json()
        other = await manager.get(
            "/v1/reports/timeliness", params={"local_authority": "E08000035", "year": year}
        )
        assert other.status_code == 403
    assert (report["requests_received"], report["refusals_to_assess"]) == (7, 1)
    assert report["final_plans_issued"] == 4
    assert report["including_exceptions"] == {"within_20_weeks": 2, "plans": 4, "percent": 50.0}
    assert report["excluding_exceptions"] == {"within_20_weeks": 2, "plans": 3, "percent": 66.7}
    assert report["open_as_at"] == str(date(year, 12, 31))
    assert report["open_by_weeks_elapsed"] == {
        "0-6": 0,
        "6-16": 1,
        "16-20": 0,
        "20-26": 0,
        "26-52": 1,
        "52+": 1,
    }


async def test_a_note_or_reason_with_control_characters_is_refused_naming_the_field(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    start = today - timedelta(weeks=2)
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=start)
    )
    path = f"/v1/referrals/{created['id']}"
    refused = await caseworker.post(
        f"{path}/exceptions",
        json={
            "kind": "personal_circumstances",
            "starts_on": str(start),
            "ends_on": str(start + timedelta(days=3)),
            "reason": "In hospital\u0000",
        },
    )
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "reason"]
    assert "U+0000" in problem["msg"]
    note = await caseworker.post(
        f"{path}/assessment-decision",
        json={"decision": "assess", "decided_on": str(today), "note": "Assess \u202enow"},
    )
    assert note.status_code == 422, note.text
    assert note.json()["detail"][0]["loc"] == ["body", "note"]
    ehc = (await caseworker.get(path)).json()["ehc"]
    assert (ehc["stage"], ehc["exceptions"]) == ("assessment_requested", [])
    kept = await _post(
        caseworker,
        f"{path}/exceptions",
        {
            "kind": "personal_circumstances",
            "starts_on": str(start),
            "ends_on": str(start + timedelta(days=3)),
            "reason": "In hospital.\r\nBack home now.",
        },
    )
    assert kept["exceptions"][0]["reason"] == "In hospital.\nBack home now."


@pytest.mark.parametrize(
    ("starts", "ends", "field"),
    [
        (date(2025, 1, 1), date(9999, 12, 31), "starts_on"),  # took 14 s of CPU, then a 500
        (timedelta(0), date(9999, 12, 31), "ends_on"),  # a timedelta: that many days from today
        (timedelta(0), timedelta(days=400), "ends_on"),
        (timedelta(0), timedelta(days=-1), "ends_on"),
    ],
)
async def test_exception_and_comment_dates_out_of_bounds_are_refused_at_once(
    caseworker: httpx.AsyncClient,
    starts: date | timedelta,
    ends: date | timedelta,
    field: str,
    today: date,
) -> None:
    def on(day: date | timedelta) -> date:
        return today + day if isinstance(day, timedelta) else day

    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=today)
    )
    path = f"/v1/referrals/{created['id']}"
    refused = await caseworker.post(
        f"{path}/exceptions",
        json={
            "kind": "family_away",
            "starts_on": str(on(starts)),
            "ends_on": str(on(ends)),
            "reason": "Abroad",
        },
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"] == ["body", field]
    comments = await caseworker.post(
        f"{path}/draft-plan",
        json={"issued_on": str(today), "comments_due": str(date(9999, 12, 31))},
    )
    assert comments.status_code == 422, comments.text
    assert comments.json()["detail"][0]["loc"] == ["body", "comments_due"]
    assert (await caseworker.get(path)).json()["ehc"]["exceptions"] == []


async def test_support_goes_on_after_the_ehc_outcome_until_the_referral_is_closed(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    start = today - timedelta(weeks=3)
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=start)
    )
    path = f"/v1/referrals/{created['id']}"
    running = await caseworker.post(f"{path}/close", json={"reason": "support_completed"})
    assert running.status_code == 409
    assert "still running" in running.json()["detail"]
    await _post(
        caseworker,
        f"{path}/assessment-decision",
        {
            "decision": "refuse",
            "decided_on": str(today),
            "reason": "no_evidence_of_special_educational_needs",
        },
    )  # the request is over; the plan and specialist it started go on
    closed = await _post(caseworker, f"{path}/close", {"reason": "support_completed"})
    assert closed["reason"] == "support_completed"
    topics = [topic for topic, _ in await outbox_events(owner_url, created["id"])]
    assert topics.count("referrals.referral-closed.v1") == 1  # the allocations end
    again = await caseworker.post(f"{path}/close", json={"reason": "support_completed"})
    assert again.status_code == 409
    assert "closed already" in again.json()["detail"]


async def test_a_closed_referral_is_not_escalated(
    caseworker: httpx.AsyncClient, today: date
) -> None:
    created = await _post(
        caseworker, "/v1/referrals", referral_body(received_on=today - timedelta(10))
    )
    path = f"/v1/referrals/{created['id']}"
    await _post(caseworker, f"{path}/close", {"reason": "child_moved"})
    refused = await caseworker.post(f"{path}/escalate", json={"requested_by": "parent"})
    assert refused.status_code == 409, refused.text
    assert "closed" in refused.json()["detail"]
    view = (await caseworker.get(path)).json()
    assert (view["track"], view["ehc"], view["closed"]) == ("support", None, True)


async def test_a_retried_step_with_an_idempotency_key_records_it_once(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    start = today - timedelta(weeks=2)
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=start)
    )
    path = f"/v1/referrals/{created['id']}"
    body = {
        "kind": "personal_circumstances",
        "starts_on": str(start + timedelta(days=1)),
        "ends_on": str(start + timedelta(days=5)),
        "reason": "In hospital",
    }
    headers = {"Idempotency-Key": f"exception-{created['id']}"}
    answers = await asyncio.gather(
        *(caseworker.post(f"{path}/exceptions", json=body, headers=headers) for _ in range(4))
    )
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert all(a.json() == answers[0].json() for a in answers)  # the first answer, each time
    replayed = [a.headers.get("Idempotent-Replayed") for a in answers]
    assert sorted(replayed, key=str) == [None, "true", "true", "true"]
    assert len((await caseworker.get(path)).json()["ehc"]["exceptions"]) == 1
    recorded = [
        topic
        for topic, _ in await outbox_events(owner_url, created["id"])
        if topic == "referrals.statutory-exception-recorded.v1"
    ]
    assert len(recorded) == 1
    other_body = await caseworker.post(
        f"{path}/exceptions", json={**body, "reason": "Another"}, headers=headers
    )
    assert other_body.status_code == 422
    assert other_body.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    other_step = await caseworker.post(
        f"{path}/assessment-decision",
        json={"decision": "assess", "decided_on": str(today)},
        headers=headers,
    )
    assert other_step.status_code == 422  # the key was this exception's


async def test_a_retried_escalation_with_an_idempotency_key_gets_the_first_answer(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    created = await _post(caseworker, "/v1/referrals", referral_body())
    path = f"/v1/referrals/{created['id']}"
    body = {"requested_by": "parent"}
    headers = {"Idempotency-Key": f"escalate-{created['id']}"}
    answers = await asyncio.gather(
        *(caseworker.post(f"{path}/escalate", json=body, headers=headers) for _ in range(3))
    )
    assert [a.status_code for a in answers] == [200] * 3, [a.text for a in answers]
    assert all(a.json() == answers[0].json() for a in answers)
    assert sorted((a.headers.get("Idempotent-Replayed") for a in answers), key=str) == [
        None, "true", "true",
    ]  # fmt: skip
    requested = [
        topic
        for topic, _ in await outbox_events(owner_url, created["id"])
        if topic == "referrals.ehc-assessment-requested.v1"
    ]
    assert len(requested) == 1
    without_key = await caseworker.post(f"{path}/escalate", json=body)
    assert without_key.status_code == 409  # already an EHC request: the key made the retries safe
    other_body = await caseworker.post(
        f"{path}/escalate", json={"requested_by": "school"}, headers=headers
    )
    assert other_body.status_code == 422
    assert other_body.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


def _on(day: date) -> Callable[[], date]:
    return lambda: day


async def test_two_schedulers_at_once_send_each_warning_once(
    caseworker: httpx.AsyncClient, app: FastAPI, owner_url: str, today: date
) -> None:
    starts = [today - timedelta(days=n) for n in range(1, 9)]
    ids = [
        (await _post(caseworker, "/v1/referrals", referral_body(track="ehc", received_on=s)))["id"]
        for s in starts
    ]
    work = service_state(app).work
    first, second = [await asyncpg.connect(service_url(owner_url)) for _ in range(2)]
    try:
        # Two replicas' loops at the same moment, day after day through the decisions' dates
        # and beyond: neither waits for the other (no advisory lock here: the rows' own locks).
        for day in [starts[0] + timedelta(weeks=6, days=d) for d in range(-12, 10, 3)]:
            watch = DeadlineWatch(at_risk_days=10, interval_s=60, today=_on(day))
            other = DeadlineWatch(at_risk_days=10, interval_s=60, today=_on(day))
            await asyncio.gather(watch.check(work, first), other.check(work, second))
    finally:
        await first.close()
        await second.close()
    for referral_id in ids:
        warnings = [
            (topic, data["deadline"])
            for topic, data in await outbox_events(owner_url, referral_id)
            if topic.startswith("referrals.deadline-")
        ]
        assert warnings == [
            ("referrals.deadline-at-risk.v1", "decision"),
            ("referrals.deadline-missed.v1", "decision"),
        ], (referral_id, warnings)
        view = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()
        steps = [t["step"] for t in view["timeline"] if t["step"].startswith("deadline")]
        assert steps == ["deadline_at_risk", "deadline_missed"]
