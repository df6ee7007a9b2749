"""A notifications sender in a process of its own, sending what is due once: a test kills it
with SIGKILL while GOV.UK Notify (the local one) holds its answer.

python -m tests.integration.sender_process <service database URL> <Notify URL>
"""

from __future__ import annotations

import asyncio
import sys

from shared.db import Database
from shared.unit_of_work import Work
from tests.integration.messaging import OUTBOX, settings_for


async def main(database_url: str, notify_url: str) -> None:
    from notifications.providers import Councils
    from notifications.sender import AlertSender

    settings = settings_for(notify_url, database_url)
    database = Database(database_url)
    await database.open()
    sender = AlertSender(
        Councils(settings), link_for=lambda a, _: f"https://x/{a.referral_id}",
        database_url=database_url,
    )  # fmt: skip
    print("sending", flush=True)
    await sender.send_due(Work(database.pool, OUTBOX))
    await database.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
