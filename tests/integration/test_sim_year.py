"""A simulated council year, small (issue #22; ``make sim-year`` runs it at full size): 60
plans in force with their reviews spread over the year and 16 EHC requests arriving through it,
day by day through the referrals service's routes and both schedulers on the simulated day,
real PostgreSQL. Every check of ``scripts.bench.year_checks`` holds: every review opened on its
day, every deadline computed and watched, the at-risk and missed events sent once each for
exactly the limits missed on purpose, the phase transfer cohort's amended plans naming the next
setting issued by 15 February / 31 March (but the late on purpose, warned once each), the SEN2
return validating and agreeing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from referrals.config import ReferralsSettings

from scripts.bench.council_year import Year, run
from scripts.bench.sim_year import checked, signer
from scripts.bench.year_cases import EHC_LATE, REVIEW_LATE, YearPlan
from scripts.platform import IdentityProvider, migrations_of
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import referrals_service
from tests.logging_state import restored_logging

PLAN = YearPlan(plans=60, requests=16, seed=32, late_share=0.3, no_upn_share=0.05)
"""Small enough for ``make test`` on 2 cores; seed 32 and a high late share: a late case of
every kind of limit in both clocks (checked below), and children without a UPN."""


@pytest.fixture
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("sim_year", "referrals", migrations_of("referrals"))


@pytest.fixture
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    with restored_logging():
        async with referrals_service(owner_url, identity) as running:
            yield running


async def test_a_council_year_opens_every_review_and_warns_only_of_the_late(
    app: FastAPI, owner_url: str, identity: IdentityProvider
) -> None:
    settings = service_state(app).settings
    assert isinstance(settings, ReferralsSettings)
    year = Year(PLAN, app, owner_url, settings)
    signed_in = signer(app, identity.issuer)
    await run(year, signed_in)
    counted, found = await checked(year, signed_in)
    assert found == {name: [] for name in found}
    assert {kind for _, kind in year.late} == {*REVIEW_LATE, *EHC_LATE}
    assert counted["at-risk events"] == counted["missed events"] == len(year.late)
    assert counted["reviews opened"] >= PLAN.plans  # and next year's for the earliest
    assert counted["final plans"] > 0
    assert counted["children without a UPN"] > 0
    late_transfers = counted["phase transfers late on purpose"]
    assert 0 < late_transfers < counted["phase transfer cohort"]
    assert counted["phase transfer at-risk events"] == counted["phase transfer missed events"]
    assert counted["phase transfer missed events"] == late_transfers
    assert counted["phase transfers met"] >= counted["phase transfer cohort"]
