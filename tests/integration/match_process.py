"""A specialists replica in a process of its own, for the never-overbook test: it opens its
connections, says ``ready``, waits for ``go`` on stdin, then matches as many plans at once,
each in its own transaction, and prints how many won a place and how many wait (JSON).

python -m tests.integration.match_process SERVICE_DATABASE_URL ATTEMPTS
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import asyncpg

from shared.councils import act_for
from shared.events import Envelope, SpecialistAssigned, wrap
from tests.integration.specialists_app import LEEDS, handled, plan


async def attempt(conn: asyncpg.Connection) -> bool:
    message: Envelope[Any] = wrap(plan(), source="/tests", local_authority=LEEDS)
    async with conn.transaction():
        await act_for(conn, [LEEDS])
        [outcome] = await handled(conn, message)
    return isinstance(outcome, SpecialistAssigned)


async def main(database_url: str, attempts: int) -> None:
    connections = [await asyncpg.connect(database_url) for _ in range(attempts)]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    won = await asyncio.gather(*(attempt(c) for c in connections))
    await asyncio.gather(*(c.close() for c in connections))
    print(json.dumps({"won": sum(won), "waitlisted": len(won) - sum(won)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
