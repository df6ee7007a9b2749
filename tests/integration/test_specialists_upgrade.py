"""A registry in use before this change upgrades in place: the sensory service becomes its
teachers of the deaf (keeping its allocations), of vision and of multi-sensory impairment,
allocations get their role, council and weight, the waitlist one row per role; the old SQL
seed goes where unused and the seed CSV brings the starting registry back."""

from __future__ import annotations

import shutil
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import pytest
from specialists.seed import seed

from scripts.platform import migrations_of
from shared.migrations import migrate, owner_connection
from tests.conftest import Databases

LEEDS, BRADFORD = "E08000035", "E08000032"
SENSORY = UUID("5b1c0c4e-0000-4000-8000-000000000005")
NORTH_SLT = UUID("5b1c0c4e-0000-4000-8000-000000000001")


def _up_to(folder: Path, last: str) -> Path:
    """The service's migrations up to ``last`` (``"0003"``), as files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for script in migrations_of("specialists").iterdir():
        if script.name.endswith(".sql") and script.name[:4] <= last:
            with script.open("rb") as source, (folder / script.name).open("wb") as copy:
                shutil.copyfileobj(source, copy)
    return folder


@pytest.fixture(scope="module")
async def before_url(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated as it was before the registry grew up (0001 to 0003), unseeded."""
    folder = _up_to(tmp_path_factory.mktemp("specialists") / "0003", "0003")
    return await databases.fresh("upgrade", "specialists", folder, seed=False)


async def _entries(conn: asyncpg.Connection) -> dict[str, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT id, specialism, capacity, allocated_weight, councils FROM specialists"
    )
    return {r["specialism"]: r for r in rows}


async def test_a_registry_in_use_upgrades_in_place(
    before_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    conn = await owner_connection(before_url)
    try:
        referral, waiting = uuid4(), uuid4()
        await conn.execute("DELETE FROM specialists WHERE id NOT IN ($1, $2)", SENSORY, NORTH_SLT)
        await conn.execute(
            """INSERT INTO allocations (id, referral_id, plan_id, specialist_id)
               VALUES ($1, $2, $3, $4)""",
            uuid4(),
            referral,
            uuid4(),
            SENSORY,
        )
        await conn.execute(
            """INSERT INTO waitlist (referral_id, plan_id, specialism, local_authority)
               VALUES ($1, $2, 'sensory_support', 'E08000035')""",
            waiting,
            uuid4(),
        )
        folder = _up_to(tmp_path_factory.mktemp("specialists") / "0004", "0004")
        await migrate(before_url, "specialists", folder)
        split = await _entries(conn)
        hearing = split["hearing_impairment_teaching"]
        assert (hearing["id"], hearing["allocated_weight"], hearing["capacity"]) == (
            SENSORY,
            1,
            100,
        )
        assert split["vision_impairment_teaching"]["capacity"] == 50
        assert split["multi_sensory_impairment_teaching"]["capacity"] == 50
        assert hearing["councils"] == ["E08000035"]
        allocation = await conn.fetchrow(
            "SELECT role, local_authority, weight, status FROM allocations WHERE referral_id = $1",
            referral,
        )
        assert dict(allocation or {}) == {
            "role": "hearing_impairment_teaching",
            "local_authority": "E08000035",
            "weight": 1,
            "status": "active",
        }
        wait = await conn.fetchrow(
            "SELECT role, reason FROM waitlist WHERE referral_id = $1", waiting
        )
        assert tuple(wait or ()) == ("hearing_impairment_teaching", "teams_full")

        await migrate(before_url, "specialists", migrations_of("specialists"))
        # The old seed's rows nothing was allocated to are gone; the one in use stays.
        assert set(await _entries(conn)) == {"hearing_impairment_teaching"}
        assert await seed(before_url) == 15  # the starting registry, from the seed CSV
        rows = await conn.fetch("SELECT id, display_name FROM specialists")
        names = {r["id"]: r["display_name"] for r in rows}
        assert len(names) == 15  # the split entries are the seed's own rows, not copies
        assert names[SENSORY] == "Leeds sensory service (hearing)"
        assert names[NORTH_SLT] == "Leeds North SLT team"
    finally:
        await conn.close()


async def test_an_entry_serving_other_councils_waits_for_their_agreement_after_upgrade(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Before shared teams needed agreement (0005), an entry could serve any council: after
    0006 it keeps its commissioning council (agreed, as the migration) and the others wait."""
    folder = _up_to(tmp_path_factory.mktemp("specialists") / "0005", "0005")
    url = await databases.fresh("upgrade-sharing", "specialists", folder, seed=False)
    conn = await asyncpg.connect(url)
    try:
        planted, elsewhere = uuid4(), uuid4()
        for entry, councils in ((planted, [BRADFORD, LEEDS]), (elsewhere, [LEEDS])):
            await conn.execute(
                """INSERT INTO specialists (id, display_name, specialism, local_authority,
                       councils, districts, capacity)
                   VALUES ($1, 'Shared', 'physiotherapy', $2, $3, '{LS6}', 100)""",
                entry,
                BRADFORD,
                councils,
            )
        await migrate(url, "specialists", migrations_of("specialists"))
        await conn.execute("SET send.local_authorities = '*'")  # the agreements bind the owner
        rows = await conn.fetch(
            "SELECT id, councils, awaiting_councils FROM specialists WHERE id = ANY ($1)",
            [planted, elsewhere],
        )
        assert {r["id"]: (r["councils"], r["awaiting_councils"]) for r in rows} == {
            planted: ([BRADFORD], [LEEDS]),
            elsewhere: ([], [LEEDS]),
        }
        agreed = await conn.fetch(
            "SELECT entry_id, local_authority, agreed_by FROM registry_agreements"
        )
        assert [tuple(r) for r in agreed] == [(planted, BRADFORD, "system:migration-0006")]
    finally:
        await conn.close()
