"""The person-level SEN2 return on real PostgreSQL: referrals at different stages mapped to
the collection's XML and the CSV, the validation problems per child, the UPN on the child,
council boundaries and audit, and the return's totals agreeing with the timeliness report."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.live.review_watch import ReviewWatch
from referrals.retention import erase_past_retention

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.dates import london_today
from shared.migrations import owner_connection
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import (
    BRADFORD,
    LEEDS,
    referral_body,
    referrals_service,
    signed_in,
)

EVERY_CHILDS_ADVICE = ["parent", "educational", "educational_psychology", "medical", "social_care"]
UPN = "P938612345678"  # check letter computed by hand (tests/unit/test_sen2_upn.py)
OTHER_UPN = "A000000000000"  # 0 -> A


@pytest.fixture(scope="module")
def year() -> int:
    """The return's year: last year, read once for the module's seeded referrals (all in that
    year or before it, so no service's today, read at each request, ever meets them)."""
    return london_today().year - 1


def census(year: int) -> date:
    """The return's census day, after ``year``."""
    return date(year + 1, 1, 15)


def january(year: int) -> date:
    """The day the year's requests for plans came in."""
    return date(year, 1, 5)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("sen2", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def _plan(received: date, final: date, urn: str = "107958") -> list[tuple[str, dict[str, Any]]]:
    decided = received + timedelta(weeks=5)
    return [
        ("assessment-decision", {"decision": "assess", "decided_on": str(decided)}),
        ("advice-requests", {"kinds": EVERY_CHILDS_ADVICE, "requested_on": str(decided)}),
        ("plan-decision", {"decision": "issue", "decided_on": str(decided + timedelta(7))}),
        ("draft-plan", {"issued_on": str(decided + timedelta(14))}),
        ("final-plan", {"issued_on": str(final), "named_school_urn": urn}),
    ]


@pytest.fixture(scope="module")
async def seeded(app: FastAPI, identity: IdentityProvider, year: int) -> dict[str, str]:
    """Bradford's year: plans on time, late and late with an exception, a refusal, open
    requests, and last year's refusal (not in the return)."""
    ids: dict[str, str] = {}
    jan = january(year)
    async with await signed_in(app, identity, "bradford-caseworker") as bradford:

        async def request(
            name: str, received: date, *steps: tuple[str, dict[str, Any]], **child: Any
        ) -> None:
            body = referral_body(track="ehc", council=BRADFORD, received_on=received, **child)
            if name == "on_time":
                body["secondary_needs"] = ["ASD"]
            created = await _post(bradford, "/v1/referrals", body)
            for step, step_body in steps:
                await _post(bradford, f"/v1/referrals/{created['id']}/{step}", step_body)
            ids[name] = str(created["id"])

        on_time = jan + timedelta(weeks=20)
        await request("on_time", jan, *_plan(jan, on_time), upn=" p938 6123 45678")
        await request("early", jan, *_plan(jan, on_time - timedelta(days=3)))
        await request("late", jan, *_plan(jan, on_time + timedelta(days=1)))
        exception = {
            "kind": "family_away",
            "starts_on": str(jan + timedelta(days=1)),
            "ends_on": str(jan + timedelta(days=30)),
            "reason": "away",
        }
        await request(
            "excepted", jan, ("exceptions", exception), *_plan(jan, on_time + timedelta(days=20))
        )
        refuse = {
            "decision": "refuse",
            "decided_on": str(jan + timedelta(weeks=4)),
            "reason": "needs_met_from_available_provision",
        }
        await request("refused", jan, ("assessment-decision", refuse))
        await request("open", date(year, 11, 1))
        old_refusal = {**refuse, "decided_on": str(date(year - 1, 3, 1))}
        await request("last_year", date(year - 1, 2, 1), ("assessment-decision", old_refusal))
    async with await signed_in(app, identity, "bradford-manager") as manager:
        imported = {
            "case_id": "BMDC-SEN2-1",
            "local_authority": BRADFORD,
            "child": {
                "given_name": "Imported",
                "family_name": "Child",
                "date_of_birth": "2014-03-04",
                "postcode": "BD1 1AA",
            },
            "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
            "needs": ["SEMH", "SPLD"],
            "issued_on": str(date(year - 2, 9, 1)),
            "last_reviewed_on": str(date(year - 1, 9, 1)),
            "setting_ukprn": "10012345",
        }
        made = await manager.post("/v1/live-plans/import", json={"plans": [imported]})
        assert made.status_code == 200, made.text
    return ids


async def _return(client: httpx.AsyncClient, fmt: str, year: int) -> httpx.Response:
    response = await client.get(
        "/v1/reports/sen2",
        params={"local_authority": BRADFORD, "census_date": str(census(year)), "format": fmt},
    )
    assert response.status_code == 200, response.text
    return response


async def test_the_returns_totals_agree_with_the_timeliness_report(
    app: FastAPI, identity: IdentityProvider, seeded: dict[str, str], year: int
) -> None:
    async with await signed_in(app, identity, "bradford-manager") as manager:
        summary = (await _return(manager, "json", year)).json()
        report = await manager.get(
            "/v1/reports/timeliness", params={"local_authority": BRADFORD, "year": year}
        )
    assert report.status_code == 200, report.text
    timeliness, totals = report.json(), summary["totals"]
    assert summary["year"] == year
    assert totals["requests_received"] == timeliness["requests_received"] == 6
    assert totals["refusals_to_assess"] == timeliness["refusals_to_assess"] == 1
    assert totals["assessments_agreed"] == 4
    assert totals["decisions_not_to_issue"] == timeliness["decisions_not_to_issue"] == 0
    assert totals["final_plans_issued"] == timeliness["final_plans_issued"] == 4
    including, excluding = timeliness["including_exceptions"], timeliness["excluding_exceptions"]
    assert totals["within_20_weeks_including_exceptions"] == including["within_20_weeks"] == 2
    assert totals["within_20_weeks_excluding_exceptions"] == excluding["within_20_weeks"] == 2
    assert totals["plans_excluding_exceptions"] == excluding["plans"] == 3


async def test_referrals_at_each_stage_map_to_the_collections_xml(
    app: FastAPI, identity: IdentityProvider, seeded: dict[str, str], year: int
) -> None:
    async with await signed_in(app, identity, "bradford-manager") as manager:
        response = await _return(manager, "xml", year)
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314  # our own service's answer
    assert root.findtext("Header/CollectionDetails/Collection") == "SEN2"
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == str(census(year))
    persons = root.findall("Persons/Person")
    # last year's refusal ended before the year: not returned; the plan brought in is
    assert len(persons) == 7
    [child] = [p for p in persons if p.findtext("UPN") == UPN]
    request = child.find("Requests/Request")
    assert request is not None
    assert request.findtext("ReceivedDate") == str(january(year))
    assert request.findtext("RequestOutcome") == "A"
    assert request.findtext("Exceptions") == "0"
    assert request.findtext("Assessment/AssessmentOutcome") == "Y"
    assert request.findtext("Plan/StartDate") == str(january(year) + timedelta(weeks=20))
    needs = [
        (n.findtext("SENtypeRank"), n.findtext("SENtype"))
        for n in request.findall("Plan/SENneeds/SENneed")
    ]
    assert needs == [("1", "SLCN"), ("2", "ASD")]
    assert request.findtext("Plan/Placements/Placement/URN") == "107958"
    outcomes = sorted(p.findtext("Requests/Request/RequestOutcome") or "open" for p in persons)
    assert outcomes == ["A", "A", "A", "A", "R", "open", "open"]
    [brought_in] = [p for p in persons if p.findtext("Surname") == "Child"]
    plan = brought_in.find("Requests/Request/Plan")
    assert plan is not None
    assert plan.findtext("StartDate") == str(date(year - 2, 9, 1))
    assert [n.findtext("SENtype") for n in plan.findall("SENneeds/SENneed")] == ["SEMH", "SPLD"]
    assert plan.findtext("Placements/Placement/UKPRN") == "10012345"
    excepted = [p for p in persons if p.findtext("Requests/Request/Exceptions") == "1"]
    assert len(excepted) == 1
    # Only ids and the return's own fields: no contact details travel in it.
    assert b"ann@example.org" not in response.content


async def test_each_childs_problems_are_listed_and_a_upn_clears_its_own(
    app: FastAPI, identity: IdentityProvider, seeded: dict[str, str], year: int
) -> None:
    async with await signed_in(app, identity, "bradford-manager") as manager:
        before = (await _return(manager, "json", year)).json()
        by_referral = {p["referral_id"]: p["problems"] for p in before["problems"]}
        assert seeded["on_time"] not in by_referral  # a UPN, dates in order, needs ranked
        assert ["upn", "no UPN recorded: add it to the child, or give the reason"] in (
            by_referral[seeded["open"]]
        )
        bad = await manager.put(
            f"/v1/referrals/{seeded['open']}/child/upn", json={"upn": "B000000000000"}
        )
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "upn"]
        assert "check letter" in bad.json()["detail"][0]["msg"]
        good = await manager.put(
            f"/v1/referrals/{seeded['open']}/child/upn", json={"upn": OTHER_UPN}
        )
        assert good.status_code == 200, good.text
        after = (await _return(manager, "json", year)).json()
        csv_rows = list(csv.DictReader(io.StringIO((await _return(manager, "csv", year)).text)))
    assert seeded["open"] not in {p["referral_id"] for p in after["problems"]}
    [row] = [r for r in csv_rows if r["referral_id"] == seeded["open"]]
    assert (row["UPN"], row["ReceivedDate"], row["RequestOutcome"]) == (
        OTHER_UPN,
        str(date(year, 11, 1)),
        "",
    )
    assert len(csv_rows) == 7  # six requests and the plan brought in
    [late] = [r for r in csv_rows if r["referral_id"] == seeded["late"]]
    assert "upn: no UPN recorded" in late["problems"]


async def test_a_manager_sees_only_their_councils_return_and_each_read_is_audited(
    app: FastAPI, identity: IdentityProvider, seeded: dict[str, str], owner_url: str, year: int
) -> None:
    async with await signed_in(app, identity, "bradford-manager") as manager:
        other = await manager.get(
            "/v1/reports/sen2",
            params={
                "local_authority": "E08000035",
                "census_date": str(census(year)),
                "format": "csv",
            },
        )
        assert other.status_code == 403
        bad = await manager.get(
            "/v1/reports/sen2",
            params={"local_authority": BRADFORD, "census_date": str(census(year)), "format": "pdf"},
        )
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["query", "format"]
        await _return(manager, "xml", year)
    async with await signed_in(app, identity, "bradford-caseworker") as caseworker:
        refused = await caseworker.get(
            "/v1/reports/sen2",
            params={"local_authority": BRADFORD, "census_date": str(census(year))},
        )
        assert refused.status_code == 403
    conn = await owner_connection(owner_url)
    try:
        audited = await conn.fetch(
            "SELECT referral_id FROM audit_log WHERE resource = 'sen2-return' AND action = 'read'"
        )
    finally:
        await conn.close()
    read = {str(r["referral_id"]) for r in audited}
    assert {seeded["on_time"], seeded["open"], seeded["refused"]} <= read
    assert seeded["last_year"] not in read


async def test_a_upn_at_intake_with_a_wrong_check_letter_is_refused_naming_the_field(
    app: FastAPI, identity: IdentityProvider
) -> None:
    async with await signed_in(app, identity, "bradford-caseworker") as caseworker:
        body = referral_body(track="ehc", council=BRADFORD, upn="Q938612345678")
        refused = await caseworker.post("/v1/referrals", json=body)
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "child", "upn"]
    assert "check letter" in problem["msg"]


async def test_the_upn_is_shown_on_the_child_and_erased_with_its_details(
    app: FastAPI, identity: IdentityProvider, owner_url: str
) -> None:
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        body = referral_body(council=LEEDS, upn=UPN)
        created = await _post(caseworker, "/v1/referrals", body)
        child = await caseworker.get(f"/v1/referrals/{created['id']}/child")
        assert child.json()["upn"] == UPN
        async with service_state(app).database.pool().acquire() as service:  # its own role
            await erase_past_retention(
                service_state(app).work,
                service,
                today=london_today(),
                years=125,
                by_council={LEEDS: 1},
            )
        erased = await caseworker.get(f"/v1/referrals/{created['id']}/child")
    assert erased.json()["upn"] is None
    conn = await owner_connection(owner_url)
    try:
        stored = await conn.fetchval(
            "SELECT c.upn FROM children c JOIN referrals r ON r.child_id = c.id WHERE r.id = $1",
            created["id"],
        )
    finally:
        await conn.close()
    assert stored is None


async def test_a_plans_annual_review_and_its_decision_to_cease_are_in_the_return(
    app: FastAPI, identity: IdentityProvider, owner_url: str
) -> None:
    today = london_today()
    item = {
        "case_id": "LCC-SEN2-CEASE",
        "local_authority": LEEDS,
        "child": {
            "given_name": "Reviewed",
            "family_name": "Ceased",
            "date_of_birth": "2010-03-04",
            "postcode": "LS6 2AB",
        },
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
        "needs": ["MLD"],
        "issued_on": str(today - timedelta(days=700)),
        "last_reviewed_on": str(today - timedelta(days=330)),
        "setting_urn": "107958",
    }
    async with await signed_in(app, identity, "leeds-manager") as manager:
        made = await manager.post("/v1/live-plans/import", json={"plans": [item]})
        assert made.status_code == 200, made.text
        referral_id = made.json()["plans"][0]["referral_id"]
        conn = await asyncpg.connect(service_url(owner_url))
        try:
            watch = ReviewWatch(open_days=70, at_risk_days=10, interval_s=60, today=lambda: today)
            await watch.check(service_state(app).work, conn)
        finally:
            await conn.close()
        base = f"/v1/referrals/{referral_id}/annual-review"
        everyone = ["family", "school", "health", "social_care"]
        steps: list[tuple[str, dict[str, Any]]] = [
            ("meeting", {"meeting_on": str(today + timedelta(days=21))}),
            ("invitations", {"sent_on": str(today), "invitees": everyone}),
            ("meeting-held", {"held_on": str(today)}),
            ("report", {"sent_on": str(today)}),
            ("decision", {"decision": "cease", "decided_on": str(today)}),
        ]
        for step, body in steps:
            await _post(manager, f"{base}/{step}", body)
        considered = await _returned(manager, today)
        # A review's decision to cease is not the plan's end: it is kept meanwhile (s45(4)).
        assert (considered.findtext("CeaseDate"), considered.findtext("CeaseReason")) == ("", "")
        ceasing = f"/v1/referrals/{referral_id}/ceasing"
        ceasing_steps: list[tuple[str, dict[str, Any]]] = [
            ("proposal", {"reason": "no_longer_necessary", "proposed_on": str(today),
                          "views_by": str(today + timedelta(days=14))}),
            ("consultation", {"consulted_on": str(today), "family_views": "Keep it.",
                              "school_views": "Needs are met."}),
            ("decision", {"decision": "cease", "decided_on": str(today), "note": "Met."}),
            ("appeal", {"lodged_on": str(today)}),
            ("appeal-outcome", {"outcome": "dismissed", "decided_on": str(today)}),
        ]  # fmt: skip
        for step, body in ceasing_steps:
            await _post(manager, f"{ceasing}/{step}", body)
        plan = await _returned(manager, today)
    [review] = plan.findall("Reviews/Review")
    assert review.findtext("ReviewMeetingDate") == str(today)
    assert review.findtext("ReviewOutcome") == "cease"
    assert review.findtext("ReviewDecisionDate") == str(today)
    assert plan.findtext("CeaseDate") == str(today)  # the appeal dismissed: ceased that day
    assert plan.findtext("CeaseReason") == "no_longer_necessary"


async def _returned(manager: httpx.AsyncClient, today: date) -> ET.Element:
    """The plan of the child "Ceased" in the XML return for ``today``."""
    response = await manager.get(
        "/v1/reports/sen2",
        params={"local_authority": LEEDS, "census_date": str(today), "format": "xml"},
    )
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)  # noqa: S314  # our own service's answer
    [person] = [p for p in root.findall("Persons/Person") if p.findtext("Surname") == "Ceased"]
    plan = person.find("Requests/Request/Plan")
    assert plan is not None
    return plan
