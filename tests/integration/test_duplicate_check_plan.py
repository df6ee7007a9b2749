"""Taking a referral in asks whether the child already has an open referral
(``repository.duplicate_check``: its ``OPEN_REFERRAL_FOR``). On real PostgreSQL, with the plan
a pooled connection caches
after a statement's fifth run (the generic one): in a database whose statistics are still those
of its empty tables (a new deployment, every bench run) the question reads each child and each
open referral at most once, and once the tables are analysed only the child's own rows. The
first form of the statement read every child for every open referral of the council: 134 ms a
request at 1,500 referrals in the bench, most of PostgreSQL's time taking referrals in (issue
#25)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from referrals import repository

from scripts.platform import migrations_of
from shared.councils import act_for
from tests.conftest import Databases
from tests.integration.referrals_app import LEEDS

CHILDREN = 400


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("dupplan", "referrals", migrations_of("referrals"))


def _rows_read(plan: dict[str, Any], relation: str) -> int:
    """Rows the plan's nodes on ``relation`` returned or filtered away, over all their loops."""
    own = 0
    if plan.get("Relation Name") == relation:
        loops = plan.get("Actual Loops", 1)
        own = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)) * loops
    return own + sum(_rows_read(child, relation) for child in plan.get("Plans", []))


async def _explained(conn: asyncpg.Connection) -> tuple[UUID, UUID | None, dict[str, Any]]:
    """The child 77's referral, what the check finds for it, and the plan it ran (the generic
    one, as a pooled connection runs it once it has cached the statement's plan)."""
    async with conn.transaction():
        await act_for(conn, [LEEDS])
        wanted: UUID = await conn.fetchval(
            """SELECT r.id FROM referrals r JOIN children c ON c.id = r.child_id
               WHERE c.nhs_number = lpad('77', 10, '0')"""
        )
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await conn.execute(
            "PREPARE open_referral_for (text, text, text, date, text) AS "
            + repository.OPEN_REFERRAL_FOR
        )
        # EXECUTE takes no bind parameters: the arguments as literals (the test's own).
        execute = (
            f"EXECUTE open_referral_for ('{LEEDS}', '0000000077', 'someone else', "
            "'2015-01-01', 'LS1 4AP')"
        )
        found = await conn.fetchval(execute)
        explained = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {execute}")
        await conn.execute("DEALLOCATE open_referral_for")
    return wanted, found, json.loads(explained)[0]["Plan"]


async def test_the_duplicate_check_reads_each_row_at_most_once(owner_url: str) -> None:
    conn = await asyncpg.connect(owner_url)
    try:
        async with conn.transaction():
            await act_for(conn, [LEEDS])
            await conn.execute(
                """INSERT INTO children (id, nhs_number, given_name, family_name, name_key,
                       date_of_birth, postcode, local_authority)
                   SELECT gen_random_uuid(), lpad(i::text, 10, '0'), 'Given', 'Family',
                          'given family ' || i, date '2016-01-01' + i, 'LS1 4AP', $1
                   FROM generate_series(1, $2) AS i""",
                LEEDS,
                CHILDREN,
            )
            await conn.execute(
                """INSERT INTO referrals (id, child_id, local_authority, requested_by,
                       primary_need, postcode_district, received_on, status)
                   SELECT gen_random_uuid(), id, local_authority, 'school', 'speech',
                          'LS1', current_date, 'received'
                   FROM children""",
            )
        # Statistics of the empty tables (as migrated): the plan may read the council's
        # children and open referrals, but each once, not each child for each referral (the
        # first form read 400 x 399 children here).
        wanted, found, plan = await _explained(conn)
        assert found == wanted  # the check still finds the child's open referral
        assert _rows_read(plan, "children") <= CHILDREN, json.dumps(plan, indent=1)
        assert _rows_read(plan, "referrals") <= CHILDREN, json.dumps(plan, indent=1)

        # Statistics of the tables as they are (autovacuum's ANALYZE): the child and its one
        # referral, through their indexes.
        await conn.execute("ANALYZE children, referrals")
        wanted, found, plan = await _explained(conn)
        assert found == wanted
        assert _rows_read(plan, "children") <= 1, json.dumps(plan, indent=1)
        assert _rows_read(plan, "referrals") <= 1, json.dumps(plan, indent=1)
    finally:
        await conn.close()
