"""Matching on real PostgreSQL and the seeded registry (Leeds and Bradford, imported from the
seed CSV): which team each child gets for each role and why, the statutory advice-givers of
the EHC track (at the plan, or on escalation), and "no team" apart from "all full"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.events import (
    ReferralWaitlisted,
    Sen2Need,
    SpecialistAssigned,
    SpecialistsMatched,
)
from shared.migrations import owner_connection
from shared.specialisms import Specialism
from tests.conftest import Databases
from tests.integration.specialists_app import (
    BRADFORD,
    LEEDS,
    assessment_decided,
    ehc_request,
    handle,
    plan,
    specialists_service,
)

SLT, EP, OT = (
    Specialism.SPEECH_AND_LANGUAGE_THERAPY,
    Specialism.EDUCATIONAL_PSYCHOLOGY,
    Specialism.OCCUPATIONAL_THERAPY,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("matching", "specialists", migrations_of("specialists"))


@pytest.fixture
async def pool(owner_url: str) -> AsyncIterator[asyncpg.Pool]:
    """Connected as the service is: bound by row-level security."""
    found = await asyncpg.create_pool(service_url(owner_url), min_size=1, max_size=4)
    yield found
    await found.close()


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with specialists_service(owner_url, identity) as running:
        yield running


async def _client(app: FastAPI, identity: IdentityProvider, user: str) -> httpx.AsyncClient:
    token = await fetch_token(identity.issuer, user)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    )


# (why, the plan, expected: role -> the team chosen, or "waitlisted:<reason>")
CASES: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("the team working in the child's district", {"district": "LS6"},
     {SLT: "Leeds North SLT team"}),
    ("the other team of the kind in its district", {"district": "LS11"},
     {SLT: "Leeds South SLT team"}),
    ("the team visiting the child's school, over the one in the district",
     {"district": "LS11", "school_urn": "107958"}, {SLT: "Leeds North SLT team"}),
    ("the nearest when none works in the district (LS9 adjoins LS10)", {"district": "LS9"},
     {SLT: "Leeds South SLT team"}),
    ("the practitioner speaking the family's language", {"council": BRADFORD, "district": "BD3",
     "language": "pl"}, {SLT: "Bradford SLT: Polish-speaking therapist"}),
    ("the team, when both speak the family's language", {"council": BRADFORD,
     "district": "BD3", "language": "ur"}, {SLT: "Bradford SLT team"}),
    ("every role of the plan", {"district": "LS6", "roles": [SLT, OT]},
     {SLT: "Leeds North SLT team", OT: "Leeds children's OT"}),
    ("EHC: the plan's roles; the psychologist waits for the decision to assess",
     {"district": "LS6", "track": "ehc", "statutory_due": date(2027, 3, 1)},
     {SLT: "Leeds North SLT team"}),
    ("EHC, hearing needs: nor the teacher of the deaf before the decision",
     {"district": "LS6", "need": Sen2Need.HI, "track": "ehc"},
     {SLT: "Leeds North SLT team"}),
    ("an older plan's sensory service: the teacher the need calls for; a team of another "
     "council serving this one", {"council": BRADFORD, "district": "BD1", "need": Sen2Need.VI,
     "legacy": "sensory_support"},
     {Specialism.VISION_IMPAIRMENT_TEACHING: "Leeds sensory service (vision)"}),
    ("no team of the kind serves the council", {"council": BRADFORD, "district": "BD1",
     "need": Sen2Need.MSI, "roles": [Specialism.MULTI_SENSORY_IMPAIRMENT_TEACHING]},
     {Specialism.MULTI_SENSORY_IMPAIRMENT_TEACHING: "waitlisted:no_team"}),
]  # fmt: skip


@pytest.mark.parametrize(("why", "fields", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_matching_rules(
    why: str,
    fields: dict[str, Any],
    expected: dict[str, str],
    pool: asyncpg.Pool,
    app: FastAPI,
    identity: IdentityProvider,
) -> None:
    drafted = plan(**fields)
    events = await handle(pool, drafted)
    outcomes = [e for e in events if isinstance(e, SpecialistAssigned | ReferralWaitlisted)]
    got = {
        e.specialism: e.display_name
        if isinstance(e, SpecialistAssigned)
        else f"waitlisted:{e.reason}"
        for e in outcomes
    }
    assert got == {str(k): v for k, v in expected.items()}, why
    assert [e.specialism for e in outcomes] == [str(r) for r in expected]  # lead role first
    summaries = [e for e in events if isinstance(e, SpecialistsMatched)]
    assert len(summaries) == (1 if len(outcomes) > 1 else 0)  # one family message per plan
    assert all(e.told_in_match for e in outcomes) is (len(outcomes) > 1)
    user = "bradford-caseworker" if drafted.local_authority == BRADFORD else "leeds-caseworker"
    async with await _client(app, identity, user) as caseworker:
        view = (await caseworker.get(f"/v1/referrals/{drafted.referral_id}/allocations")).json()
    for allocation in view["allocations"]:  # the reasons for each choice, for the caseworker
        assert allocation["reasons"][0] == f"role: {allocation['specialism']}"
        assert f"serves the child's council ({drafted.local_authority})" in allocation["reasons"]
        assert any("places free" in r for r in allocation["reasons"])
    assert {w["role"]: w["reason"] for w in view["waiting"]} == {
        r: v.split(":")[1] for r, v in got.items() if v.startswith("waitlisted:")
    }


async def test_an_escalation_adds_the_statutory_advisers_and_orders_the_wait_by_deadline(
    pool: asyncpg.Pool, owner_url: str
) -> None:
    drafted = plan(district="LS6", need=Sen2Need.VI, roles=[SLT, Specialism.AUTISM_OUTREACH])
    first = await handle(pool, drafted)
    assert {e.specialism for e in first if isinstance(e, SpecialistAssigned)} == {SLT,
        Specialism.AUTISM_OUTREACH}  # fmt: skip
    again = await handle(pool, drafted)  # a redelivered plan allocates nothing twice
    assert again == []
    escalated = await handle(pool, ehc_request(drafted.referral_id, LEEDS, date(2027, 1, 4)))
    assert escalated == []  # no psychologist at the request: the council has not decided
    refused = await handle(pool, assessment_decided(drafted.referral_id, LEEDS, "refuse"))
    assert refused == []
    decided = await handle(pool, assessment_decided(drafted.referral_id, LEEDS))
    statutory = {e.specialism: e for e in decided if isinstance(e, SpecialistAssigned)}
    assert set(statutory) == {EP, Specialism.VISION_IMPAIRMENT_TEACHING}
    assert all(e.statutory for e in statutory.values())
    assert [type(e) for e in decided].count(SpecialistsMatched) == 1
    owner = await owner_connection(owner_url)
    try:
        track = await owner.fetchval(
            "SELECT track FROM referral_needs WHERE referral_id = $1", drafted.referral_id
        )
        # The support given already counts as an EHC case now (2 places), its team charged.
        weights = {
            r["role"]: (r["weight"], r["allocated_weight"])
            for r in await owner.fetch(
                """SELECT a.role, a.weight, s.allocated_weight FROM allocations a
                   JOIN specialists s ON s.id = a.specialist_id
                   WHERE a.referral_id = $1 AND a.status = 'active'""",
                drafted.referral_id,
            )
        }
        charged_before = {SLT: weights[SLT][1]}
        await handle(pool, ehc_request(drafted.referral_id, LEEDS, date(2027, 1, 4)))  # again
        after = await owner.fetchval(
            """SELECT s.allocated_weight FROM allocations a JOIN specialists s
                 ON s.id = a.specialist_id
               WHERE a.referral_id = $1 AND a.role = $2 AND a.status = 'active'""",
            drafted.referral_id,
            SLT,
        )
    finally:
        await owner.close()
    assert track == "ehc"
    assert {role: w for role, (w, _) in weights.items()} == dict.fromkeys(weights, 2)
    assert after == charged_before[SLT]  # a redelivered request charges nothing twice


async def test_an_ehc_request_before_its_plan_gets_its_advisers_at_the_decision(
    pool: asyncpg.Pool,
) -> None:
    """Educational psychologists (and sensory teachers) are allocated when the council decides
    to assess, not at the request; a decision that reaches matching before the child's plan
    is kept (never dead-lettered), and the advisers come with the plan."""
    drafted = plan(council=BRADFORD, district="BD1", need=Sen2Need.HI)
    assert await handle(pool, ehc_request(drafted.referral_id, BRADFORD, date(2027, 2, 1))) == []
    assert await handle(pool, assessment_decided(drafted.referral_id, BRADFORD)) == []
    events = await handle(pool, drafted)
    names = {e.specialism: e.display_name for e in events if isinstance(e, SpecialistAssigned)}
    assert names == {
        SLT: "Bradford SLT team",
        EP: "Bradford educational psychology",
        Specialism.HEARING_IMPAIRMENT_TEACHING: "Bradford teacher of the deaf",
    }
    statutory = {e.specialism for e in events if isinstance(e, SpecialistAssigned) and e.statutory}
    assert statutory == {EP, Specialism.HEARING_IMPAIRMENT_TEACHING}
    assert [type(e) for e in events].count(SpecialistsMatched) == 1  # the family told once
    # Redelivered, in either order, nothing is allocated twice.
    assert await handle(pool, assessment_decided(drafted.referral_id, BRADFORD)) == []
    assert await handle(pool, drafted) == []


async def test_the_decision_to_assess_reaches_matching_before_anything_else_of_the_child(
    pool: asyncpg.Pool,
) -> None:
    """The decision first (before the EHC request and the plan): kept; the plan then brings
    its roles and the statutory advisers; the request after orders the waits by its date."""
    drafted = plan(council=BRADFORD, district="BD1", need=Sen2Need.SLCN)
    assert await handle(pool, assessment_decided(drafted.referral_id, BRADFORD)) == []
    events = await handle(pool, drafted)
    roles = {e.specialism for e in events if isinstance(e, SpecialistAssigned)}
    assert roles == {SLT, EP}
    assert await handle(pool, ehc_request(drafted.referral_id, BRADFORD, date(2027, 2, 1))) == []


async def test_a_plan_before_the_decision_gets_its_advisers_at_the_decision(
    pool: asyncpg.Pool,
) -> None:
    drafted = plan(council=BRADFORD, district="BD1", need=Sen2Need.SLCN)
    events = await handle(pool, drafted)
    assert {e.specialism for e in events if isinstance(e, SpecialistAssigned)} == {SLT}
    events = await handle(pool, assessment_decided(drafted.referral_id, BRADFORD))
    assert {e.specialism for e in events if isinstance(e, SpecialistAssigned)} == {EP}
