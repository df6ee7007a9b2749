"""One stage of the bare pipeline (no framework): aiokafka consumer -> asyncpg transaction with
an inbox row (and the stage's own row) -> aiokafka producer, with the platform's delivery
rules: safe producer (acks=all, idempotent), offsets committed only after the transaction
and the send. A process of its own, so its CPU time is its own.

    python -m scripts.bench.bare_stage --variant single|batched --stage 2 --source T --target T
        --group G --database URL [--bootstrap-servers HOST:PORT] [--batch 500]

Prints ``ready`` once its partitions are assigned, starts on a ``go`` line on stdin, and
stops when stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord

from shared.events import CLOUDEVENTS_CONTENT_TYPE
from shared.settings import LOCAL_KAFKA

HEADERS = [("content-type", CLOUDEVENTS_CONTENT_TYPE.encode())]
INBOX_ONE = """INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING true"""
INBOX_MANY = """INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])
                ON CONFLICT DO NOTHING RETURNING event_id"""
STEP = "INSERT INTO steps (event_id, referral_id, stage) VALUES ($1, $2, $3)"
SCHEMA = """
CREATE TABLE inbox (consumer text NOT NULL, event_id uuid NOT NULL,
                    received_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (consumer, event_id));
CREATE TABLE steps (event_id uuid PRIMARY KEY, referral_id uuid NOT NULL, stage int NOT NULL,
                    recorded_at timestamptz NOT NULL DEFAULT now());
"""
"""The bare pipeline's database (created by the orchestrator, ``scripts.bench.bare``)."""


def next_event(event: dict[str, Any], stage: int) -> bytes:
    """The event this stage publishes: a new CloudEvent carrying the one it handled on."""
    return json.dumps(
        {
            **event,
            "id": str(uuid4()),
            "type": f"uk.send-platform.bench.stage-{stage}-done.v1",
            "source": f"/bench/bare/stage-{stage}",
            "time": datetime.now(UTC).isoformat(),
            "data": {**event["data"], "stage": stage},
        }
    ).encode()


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def on_partitions_revoked(self, revoked: object) -> None:
        pass

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.event.set()


class Stage:
    def __init__(self, args: argparse.Namespace, conn: asyncpg.Connection) -> None:
        self.stage: int = args.stage
        self.target: str = args.target
        self.consumer_name = f"bench-stage-{args.stage}"
        self.batch: int = args.batch
        self.conn = conn
        self.assigned = _Assigned()
        self.source: str = args.source
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=args.bootstrap_servers,
            group_id=args.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self.producer = AIOKafkaProducer(
            bootstrap_servers=args.bootstrap_servers, acks="all", enable_idempotence=True
        )

    async def one_at_a_time(self) -> None:
        while True:
            record = await self.consumer.getone()
            event = json.loads(record.value)
            async with self.conn.transaction():
                fresh = await self.conn.fetchval(INBOX_ONE, self.consumer_name, UUID(event["id"]))
                if fresh:
                    await self.conn.execute(STEP, *self._step(event))
            if fresh:
                await self.producer.send_and_wait(
                    self.target, next_event(event, self.stage), key=record.key, headers=HEADERS
                )
            await self.consumer.commit()

    async def batched(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=1000, max_records=self.batch)
            records: list[ConsumerRecord] = [r for part in batches.values() for r in part]
            if not records:
                continue
            events = [json.loads(r.value) for r in records]
            async with self.conn.transaction():
                ids = [UUID(e["id"]) for e in events]
                rows = await self.conn.fetch(INBOX_MANY, self.consumer_name, ids)
                fresh_ids = {row["event_id"] for row in rows}
                fresh = [
                    (r, e) for r, e, i in zip(records, events, ids, strict=True) if i in fresh_ids
                ]
                await self.conn.executemany(STEP, [self._step(e) for _, e in fresh])
            sent = [
                await self.producer.send(
                    self.target, next_event(e, self.stage), key=r.key, headers=HEADERS
                )
                for r, e in fresh
            ]
            await asyncio.gather(*sent)  # one flush: every send acknowledged
            await self.consumer.commit()

    def _step(self, event: dict[str, Any]) -> tuple[UUID, UUID, int]:
        return UUID(event["id"]), UUID(event["data"]["referral_id"]), self.stage


async def main(args: argparse.Namespace) -> None:
    conn = await asyncpg.connect(args.database)
    stage = Stage(args, conn)
    await stage.consumer.start()
    await stage.producer.start()
    try:
        stage.consumer.subscribe([stage.source], listener=stage.assigned)
        await stage.assigned.event.wait()
        print("ready", flush=True)
        if (await asyncio.to_thread(sys.stdin.readline)).strip() != "go":
            return
        work = stage.one_at_a_time() if args.variant == "single" else stage.batched()
        running = asyncio.create_task(work)
        closed = asyncio.create_task(asyncio.to_thread(sys.stdin.readline))
        await asyncio.wait({running, closed}, return_when=asyncio.FIRST_COMPLETED)
        running.cancel()
        if not closed.done():
            raise RuntimeError("the stage stopped by itself") from running.exception()
    finally:
        await stage.consumer.stop()
        await stage.producer.stop()
        await conn.close()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--variant", choices=("single", "batched"), required=True)
    parser.add_argument("--stage", type=int, required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--bootstrap-servers", default=LOCAL_KAFKA)
    parser.add_argument("--batch", type=int, default=500)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
