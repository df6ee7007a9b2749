"""A new database's first minutes (a new deployment, every bench run): a pooled connection
caches a statement's generic plan after its fifth run, made while the tables were still empty
and never analysed, and keeps it until autovacuum first analyses them, a minute or more later
(issue #25). On real PostgreSQL, each statement below is planned on the just-migrated empty
tables (or with the first 50 or 200 referrals in), the tables then filled (400 children, each
with a referral and its timeline), and the plan run: each reads the rows it needs, not the
table. The bench's drain of 1,500 read every child of the council for each child looked up by
NHS number, every referral for each timeline step written and for each consumed batch's lock.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from referrals import batch_intake, batch_rows, repository

from scripts.platform import migrations_of
from shared.councils import act_for
from tests.conftest import Databases
from tests.integration.referrals_app import LEEDS

CHILDREN = 400
STEPS = 8  # a referral's steps on the timeline before the one written
BATCH = 16  # referrals in a consumed batch (the bench's batches lock 15 a statement)

_PREPARED = {
    "child_by_nhs_number": ("(text, text)", repository.CHILD_BY_NHS_NUMBER),
    "open_referral_for": ("(text, text, text, date, text)", repository.OPEN_REFERRAL_FOR),
    "duplicate_check": ("(text, text, text, date, text)", repository.DUPLICATE_CHECK),
    "step_added": (
        "(uuid, uuid, text, text, timestamptz, text, text[])",
        repository.STEP_ADDED,
    ),
    "lock_rows": ("(uuid[])", batch_rows.LOCK_ROWS),
    "known_children": ("(text[], text[])", batch_intake.KNOWN_CHILDREN),
    "open_referrals_for": (
        "(text[], text[], text[], date[], text[])",
        batch_intake.OPEN_REFERRALS_FOR,
    ),
}

# EXPLAIN EXECUTE takes no bind parameters: each statement's arguments as literals. The child
# 77, its referral (``{referral}``), a step new to it; a batch of referrals (``{batch}``).
_ARGUMENTS = {
    "child_by_nhs_number": f"('{LEEDS}', '0000000077')",
    "open_referral_for": f"('{LEEDS}', '0000000077', 'someone else', '2015-01-01', 'LS1 4AP')",
    "duplicate_check": f"('{LEEDS}', '0000000077', 'someone else', '2015-01-01', 'LS1 4AP')",
    "step_added": (
        "('{referral}', gen_random_uuid(), 'plan_drafted', 'plans', now(), NULL, "
        "ARRAY['received', 'plan_drafted'])"
    ),
    "lock_rows": "(ARRAY[{batch}]::uuid[])",
    # A consumed batch's children (``batch_intake``): known by NHS number, the children 77 and
    # 78; checked for duplicates, the child 77 by NHS number, the child 78 by name, date of
    # birth and postcode, and a child not known here.
    "known_children": f"(ARRAY['{LEEDS}', '{LEEDS}'], ARRAY['0000000077', '0000000078'])",
    "open_referrals_for": (
        f"(ARRAY['{LEEDS}', '{LEEDS}', '{LEEDS}'], ARRAY['0000000077', NULL, '0000009999'], "
        "ARRAY['someone else', 'given family 78', 'nobody'], "
        "ARRAY['2015-01-01', '2016-03-19', '2015-01-01']::date[], "
        "ARRAY['LS1 4AP', 'LS1 4AP', 'LS1 4AP'])"
    ),
}


@pytest.fixture(scope="module", params=[0, 50, 200], ids=lambda n: f"planned at {n} children")
async def planned_early(
    databases: Databases, request: pytest.FixtureRequest
) -> AsyncIterator[asyncpg.Connection]:
    """A connection whose statements' generic plans were made on the tables as the migrations
    left them (empty), or with the first referrals in, never analysed, and whose tables were
    then filled (not analysed either). Each size planned at found a plan of its own that read
    the table (at 200, the duplicate check searched by name through the NHS number's index,
    while its first column was the council)."""
    planned_at: int = request.param
    url = await databases.fresh(f"freshplans{planned_at}", "referrals", migrations_of("referrals"))
    conn = await asyncpg.connect(url)
    try:
        await act_for(conn, [LEEDS], local=False)
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        await _fill(conn, 1, planned_at)
        for name, (types, sql) in _PREPARED.items():
            await conn.execute(f"PREPARE {name} {types} AS {sql}")
            # The generic plan, made now (EXPLAIN plans without running) and kept.
            arguments = _ARGUMENTS[name].format(referral=uuid4(), batch=f"'{uuid4()}'")
            await conn.execute(f"EXPLAIN EXECUTE {name} {arguments}")
        await _fill(conn, planned_at + 1, CHILDREN)
        yield conn
    finally:
        await conn.close()


async def _fill(conn: asyncpg.Connection, first: int, last: int) -> None:
    """Children ``first`` to ``last`` (NHS number: the number, zero-padded), a referral each,
    and its steps on the timeline."""
    await conn.execute(
        """INSERT INTO children (id, nhs_number, given_name, family_name, name_key,
               date_of_birth, postcode, local_authority)
           SELECT gen_random_uuid(), lpad(i::text, 10, '0'), 'Given', 'Family',
                  'given family ' || i, date '2016-01-01' + i, 'LS1 4AP', $1
           FROM generate_series($2::int, $3::int) AS i""",
        LEEDS,
        first,
        last,
    )
    await conn.execute(
        """INSERT INTO referrals (id, child_id, local_authority, requested_by,
               primary_need, postcode_district, received_on, status)
           SELECT gen_random_uuid(), c.id, c.local_authority, 'school', 'speech',
                  'LS1', current_date, 'received'
           FROM children c WHERE NOT EXISTS (SELECT FROM referrals r WHERE r.child_id = c.id)"""
    )
    await conn.execute(
        """INSERT INTO timeline (referral_id, event_id, step, service, occurred_at)
           SELECT r.id, gen_random_uuid(), 'received', 'referrals', now()
           FROM referrals r, generate_series(1, $1)
           WHERE NOT EXISTS (SELECT FROM timeline t WHERE t.referral_id = r.id)""",
        STEPS,
    )


def _rows_read(plan: dict[str, Any], relation: str) -> int:
    """Rows the plan's nodes on ``relation`` returned or filtered away, over all their loops
    (subplans, such as a row-level security policy's, included)."""
    own = 0
    if plan.get("Relation Name") == relation:
        loops = plan.get("Actual Loops", 1)
        own = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)) * loops
    return own + sum(_rows_read(child, relation) for child in plan.get("Plans", []))


async def _run(conn: asyncpg.Connection, name: str, *, custom: bool = False) -> dict[str, Any]:
    """The plan ``name`` ran with, on the child 77's referral (a batch: the first referrals by
    id): its cached generic one, or (``custom``) one made for these arguments, as a pooled
    connection's first five runs of a statement are, on the tables as they are now."""
    referral = await conn.fetchval(
        """SELECT r.id FROM referrals r JOIN children c ON c.id = r.child_id
           WHERE c.nhs_number = lpad('77', 10, '0')"""
    )
    batch = await conn.fetch("SELECT id FROM referrals ORDER BY id LIMIT $1", BATCH)
    arguments = _ARGUMENTS[name].format(
        referral=referral, batch=", ".join(f"'{row['id']}'" for row in batch)
    )
    transaction = conn.transaction()
    await transaction.start()
    try:
        if custom:
            await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        explained = await conn.fetchval(
            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {name} {arguments}"
        )
    finally:
        await transaction.rollback()  # what it wrote (a step, a lock): undone
    plan: dict[str, Any] = json.loads(explained)[0]["Plan"]
    return plan


async def test_a_child_is_found_by_nhs_number_without_reading_the_councils_children(
    planned_early: asyncpg.Connection,
) -> None:
    plan = await _run(planned_early, "child_by_nhs_number")
    assert plan["Actual Rows"] == 1  # still found
    assert _rows_read(plan, "children") == 1, json.dumps(plan, indent=1)


async def test_the_duplicate_check_reads_the_childs_own_rows(
    planned_early: asyncpg.Connection,
) -> None:
    plan = await _run(planned_early, "open_referral_for")
    assert plan["Actual Rows"] == 1  # the child's open referral, found by its NHS number
    assert _rows_read(plan, "children") <= 1, json.dumps(plan, indent=1)
    assert _rows_read(plan, "referrals") <= 1, json.dumps(plan, indent=1)


async def test_the_duplicate_check_with_the_known_child_reads_the_childs_own_rows(
    planned_early: asyncpg.Connection,
) -> None:
    """The check as the intake runs it, with the child known by the NHS number (one round
    trip): each part reads what it reads alone."""
    plan = await _run(planned_early, "duplicate_check")
    assert plan["Actual Rows"] == 1
    assert _rows_read(plan, "children") <= 2, json.dumps(plan, indent=1)  # 1 each part
    assert _rows_read(plan, "referrals") <= 1, json.dumps(plan, indent=1)


async def test_a_timeline_step_reads_no_referral_for_the_policy(
    planned_early: asyncpg.Connection,
) -> None:
    plan = await _run(planned_early, "step_added")
    # The policy asks each step's own council (it asked whether its referral was visible, and
    # hashed every referral to answer); the step written finds its council by a trigger.
    assert _rows_read(plan, "referrals") == 0, json.dumps(plan, indent=1)
    assert _rows_read(plan, "timeline") <= STEPS + 1, json.dumps(plan, indent=1)  # + its own


@pytest.mark.parametrize("custom", [False, True], ids=["generic plan", "custom plan"])
async def test_a_batchs_lock_reads_only_its_referrals_rows(
    planned_early: asyncpg.Connection, custom: bool
) -> None:
    plan = await _run(planned_early, "lock_rows", custom=custom)
    assert plan["Actual Rows"] == BATCH  # the batch's rows, locked
    assert _rows_read(plan, "referrals") == BATCH, json.dumps(plan, indent=1)


async def test_a_batchs_known_children_are_looked_up_one_by_one(
    planned_early: asyncpg.Connection,
) -> None:
    plan = await _run(planned_early, "known_children")
    assert plan["Actual Rows"] == 2  # the children 77 and 78
    assert _rows_read(plan, "children") == 2, json.dumps(plan, indent=1)


async def test_a_batchs_duplicate_check_reads_its_childrens_own_rows(
    planned_early: asyncpg.Connection,
) -> None:
    plan = await _run(planned_early, "open_referrals_for")
    assert plan["Actual Rows"] == 2  # the child 77 by NHS number, the child 78 by name
    assert _rows_read(plan, "children") <= 2, json.dumps(plan, indent=1)
    assert _rows_read(plan, "referrals") <= 2, json.dumps(plan, indent=1)
