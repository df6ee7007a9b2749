"""``python -m specialists.seed [database_url]``: import the starting registry for local runs
and tests (Leeds E08000035 and Bradford E08000032, ``seed_registry.csv``) through the
registry's own CSV import. Councils import their own registry the same way (the API's
``POST /v1/registry/import``)."""

from __future__ import annotations

import asyncio
import sys
from importlib.resources import files

import asyncpg

from shared.councils import ALL, act_for
from shared.services import SERVICES
from shared.unit_of_work import Actor
from specialists.registry.importing import import_csv

SEED = files("specialists") / "seed_registry.csv"


async def seed(database_url: str) -> int:
    """Import the seed CSV (create or replace by id; every council it names agrees, as
    ``system:seed``); returns the entries imported."""
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await act_for(conn, ALL)
            text = SEED.read_text(encoding="utf-8")
            return len(
                await import_csv(conn, text, by=Actor.system("seed").subject, acting_for=None)
            )
    finally:
        await conn.close()


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else SERVICES["specialists"].database_url()
    print(f"specialists: {asyncio.run(seed(url))} registry entries imported from the seed CSV")


if __name__ == "__main__":
    main()
