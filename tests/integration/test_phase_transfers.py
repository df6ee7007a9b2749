"""Phase transfers (Reg 18) on real PostgreSQL (the application role, row-level security): a
year's cohort brought in, each child's transfer worked out from the date of birth (or brought
in, or set by the caseworker), the transfer's review opened the autumn term before with its
meeting due by the deadline, the at-risk and missed warnings sent once each with an injected
clock and counted, and the amended plan naming the next school meeting the deadline (refused,
naming the field, when it names none or the school the child attends now)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.live.phase_transfer_api import cohort_year_now
from referrals.live.phase_transfer_watch import TransferWatch

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import LEEDS, outbox_events, referrals_service, signed_in
from tests.integration.test_deadline_metrics import _warnings as metric_warnings
from tests.integration.test_live_plans_import import PATH, plan
from tests.logging_state import restored_logging


@pytest.fixture
def year(today: date) -> int:
    """The cohort moving this coming September: its school year before the move is now."""
    return cohort_year_now(today)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("phase_transfers", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    with restored_logging():
        async with referrals_service(owner_url, identity) as running:
            yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


def _child(born: date, **changes: Any) -> dict[str, Any]:
    item = plan(**changes)
    item["child"]["date_of_birth"] = str(born)
    return item


async def _import(app: FastAPI, identity: IdentityProvider, *plans: dict[str, Any]) -> list[str]:
    async with await signed_in(app, identity, "leeds-manager") as manager:
        answer = await manager.post(PATH, json={"plans": list(plans)})
    assert answer.status_code == 200, answer.text
    return [p["referral_id"] for p in answer.json()["plans"]]


async def _transfer_events(owner_url: str, referral_id: str) -> list[tuple[str, str]]:
    return [
        (topic.split(".")[1], data.get("kind", ""))
        for topic, data in await outbox_events(owner_url, referral_id)
        if topic.startswith(("referrals.phase-transfer-deadline", "referrals.annual-review-opened"))
    ]


async def test_a_cohort_is_worked_out_opened_and_warned_once(
    app: FastAPI,
    identity: IdentityProvider,
    owner_url: str,
    caseworker: httpx.AsyncClient,
    year: int,
) -> None:
    february_14, march_30 = date(year, 2, 14), date(year, 3, 30)  # the moves' last legal days
    to_secondary = _child(date(year - 11, 1, 15))  # Year 7 this coming September
    to_post_16 = _child(date(year - 16, 1, 15))  # Year 12
    to_junior = _child(  # an infant school: the council says so
        date(year - 7, 1, 15), phase_transfer={"year": year, "kind": "infant_to_junior"}
    )
    secondary, post_16, junior = await _import(app, identity, to_secondary, to_post_16, to_junior)

    listed = await caseworker.get("/v1/caseload/phase-transfers", params={"year": year})
    assert listed.status_code == 200, listed.text
    cohort = {c["referral_id"]: c for c in listed.json()["children"]}
    assert {r: (c["kind"], c["due_on"], c["set_by"]) for r, c in cohort.items()} == {
        secondary: ("primary_to_secondary", str(february_14), "date_of_birth"),
        post_16: ("secondary_to_post_16", str(march_30), "date_of_birth"),
        junior: ("infant_to_junior", str(february_14), "import"),
    }
    empty = await caseworker.get("/v1/caseload/phase-transfers", params={"year": year + 3})
    assert [c["referral_id"] for c in empty.json()["children"]] == []

    at_risk = ("send_statutory_deadlines_at_risk_total", LEEDS, "phase_transfer")
    missed = ("send_statutory_deadlines_missed_total", LEEDS, "phase_transfer")
    before = await metric_warnings(app)
    conn = await asyncpg.connect(service_url(owner_url))
    try:

        async def check(day: date) -> list[tuple[str, str]]:
            watch = TransferWatch(open_days=166, at_risk_days=10, interval_s=60, today=lambda: day)
            await watch.check(service_state(app).work, conn)  # a new watch each time: a restart
            return await _transfer_events(owner_url, secondary)

        assert await check(february_14 - timedelta(days=167)) == []
        opened = [("annual-review-opened", "")]
        assert await check(february_14 - timedelta(days=166)) == opened  # 1 September
        assert await check(february_14 - timedelta(days=165)) == opened  # once
        warned = [*opened, ("phase-transfer-deadline-at-risk", "primary_to_secondary")]
        assert await check(february_14 - timedelta(days=10)) == warned
        assert await check(february_14) == warned  # the last legal day: not yet missed
        warned.append(("phase-transfer-deadline-missed", "primary_to_secondary"))
        assert await check(february_14 + timedelta(days=1)) == warned  # 15 February: missed
        assert await check(february_14 + timedelta(days=30)) == warned  # once
        # 31 March's move: on 15 February it is neither missed nor, 44 days away, at risk.
        later = [("annual-review-opened", "")]
        assert await _transfer_events(owner_url, post_16) == later
        await check(march_30)  # its last legal day
        later.append(("phase-transfer-deadline-at-risk", "secondary_to_post_16"))
        assert await _transfer_events(owner_url, post_16) == later
        await check(march_30 + timedelta(days=1))  # 31 March
        later.append(("phase-transfer-deadline-missed", "secondary_to_post_16"))
        assert await _transfer_events(owner_url, post_16) == later
    finally:
        await conn.close()
    counted = {k: v - before.get(k, 0) for k, v in (await metric_warnings(app)).items()}
    assert counted[at_risk] == 3  # each child's warning once
    assert counted[missed] == 3

    # The transfer's review was opened with its meeting due by the deadline at the latest.
    reviews = (await caseworker.get(f"/v1/referrals/{secondary}/annual-reviews")).json()
    assert reviews[0]["opened_on"] == str(february_14 - timedelta(days=166))
    assert reviews[0]["due_on"] <= str(february_14)
    view = (await caseworker.get(f"/v1/referrals/{secondary}")).json()
    timeline = [t["step"] for t in view["timeline"]]
    assert timeline.count("phase_transfer_missed") == 1
    assert "phase_transfer_set" in timeline


async def test_the_amended_plan_names_the_next_school_and_meets_the_deadline(
    app: FastAPI,
    identity: IdentityProvider,
    owner_url: str,
    caseworker: httpx.AsyncClient,
    today: date,
    year: int,
) -> None:
    february_14 = date(year, 2, 14)
    held = today - timedelta(days=40)
    meeting = [{"step": "annual_review_meeting", "on": str(held)}]
    (referral_id,) = await _import(
        app,
        identity,
        _child(
            date(year - 11, 3, 1),
            last_reviewed_on=str(today - timedelta(days=360)),
            open_steps=meeting,
        ),
    )
    base = f"/v1/referrals/{referral_id}/annual-review"
    decided = {"decision": "amend", "decided_on": str(held + timedelta(days=20))}
    assert (await caseworker.post(f"{base}/decision", json=decided)).status_code == 200
    sent = {"sent_on": str(today - timedelta(days=16))}
    assert (await caseworker.post(f"{base}/amendments/proposals", json=sent)).status_code == 200

    final = f"{base}/amendments/final"
    for named in (None, {"urn": "107958"}):  # none; the school the child attends now
        body: dict[str, Any] = {"issued_on": str(today)}
        if named:
            body["next_setting"] = named
        refused = await caseworker.post(final, json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", "next_setting"]
    issued = await caseworker.post(
        final, json={"issued_on": str(today), "next_setting": {"urn": "140001"}}
    )
    assert issued.status_code == 200, issued.text

    events = dict(await outbox_events(owner_url, referral_id))
    plan_issued = events["referrals.amended-plan-issued.v1"]
    assert plan_issued["phase_transfer"] == "primary_to_secondary"
    assert (plan_issued["next_setting_urn"], plan_issued["transfer_due"]) == (
        "140001",
        str(february_14),
    )
    listed = await caseworker.get("/v1/caseload/phase-transfers", params={"year": year})
    (child,) = [c for c in listed.json()["children"] if c["referral_id"] == referral_id]
    assert child["amended_issued_on"] == str(today)
    assert child["next_setting_urn"] == "140001"
    assert child["state"] == ("issued" if today <= february_14 else "issued_late")
    conn = await asyncpg.connect(service_url(owner_url))
    try:
        watch = TransferWatch(
            open_days=166, at_risk_days=10, interval_s=60, today=lambda: february_14 + timedelta(1)
        )
        await watch.check(service_state(app).work, conn)
    finally:
        await conn.close()
    warned = [t for t, _ in await _transfer_events(owner_url, referral_id)]
    assert "phase-transfer-deadline-missed" not in warned  # met: no warning


async def test_the_caseworker_sets_the_transfer_the_date_of_birth_cannot_tell(
    app: FastAPI, identity: IdentityProvider, caseworker: httpx.AsyncClient, year: int
) -> None:
    (referral_id,) = await _import(app, identity, _child(date(year - 11, 5, 5)))
    path = f"/v1/referrals/{referral_id}/phase-transfer"
    far = await caseworker.post(path, json={"year": year + 4, "kind": "primary_to_secondary"})
    assert far.status_code == 422, far.text
    assert far.json()["detail"][0]["loc"] == ["body", "year"]
    held_back = {"year": year + 1, "kind": "primary_to_secondary"}
    key = {"Idempotency-Key": f"held-back-{referral_id}"}
    first = await caseworker.post(path, json=held_back, headers=key)
    assert first.status_code == 200, first.text
    assert first.json()["due_on"] == str(date(year + 1, 2, 14))
    again = await caseworker.post(path, json=held_back, headers=key)
    assert again.json() == first.json()
    this_year = await caseworker.get("/v1/caseload/phase-transfers", params={"year": year})
    assert referral_id not in [c["referral_id"] for c in this_year.json()["children"]]
    next_year = await caseworker.get("/v1/caseload/phase-transfers", params={"year": year + 1})
    (child,) = [c for c in next_year.json()["children"] if c["referral_id"] == referral_id]
    assert child["set_by"] == "caseworker"


async def test_another_councils_caseworker_sees_none_of_the_cohort(
    app: FastAPI, identity: IdentityProvider, year: int
) -> None:
    (referral_id,) = await _import(app, identity, _child(date(year - 11, 6, 6)))
    async with await signed_in(app, identity, "bradford-caseworker") as other:
        listed = await other.get("/v1/caseload/phase-transfers", params={"year": year})
        assert listed.status_code == 200
        assert referral_id not in [c["referral_id"] for c in listed.json()["children"]]
        put = await other.post(
            f"/v1/referrals/{referral_id}/phase-transfer",
            json={"year": year, "kind": "primary_to_secondary"},
        )
        assert put.status_code == 404
