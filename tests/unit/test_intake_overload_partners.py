"""NHS partners' messages wait on Kafka while the pipeline is past its bound
(``referrals.overload``): the partners' consumer holds its next message until the backlog
falls back within the bound, and never longer than it may (its group would throw it out)."""

from __future__ import annotations

import asyncio

from referrals.overload import Overload, PipelineBacklog
from referrals.public.admission import PublicIntake


def overload(bound: int) -> Overload:
    backlog = PipelineBacklog({}, namespace="", intake_topics=[], interval_s=0.01)
    return Overload(PublicIntake(1, 0, 0), backlog, backlog_events=bound, retry_after_s=1)


async def test_a_partners_message_waits_until_the_backlog_falls_within_the_bound() -> None:
    gate = overload(bound=10)
    gate.backlog._set(50)
    held = asyncio.create_task(gate.room_for_partners(most_s=30))
    await asyncio.sleep(0)  # the consumer is now waiting on the next reading
    gate.backlog._set(40)  # still behind
    await asyncio.sleep(0)
    assert not held.done()
    gate.backlog._set(5)
    await asyncio.wait_for(held, timeout=1)


async def test_a_partners_message_is_held_no_longer_than_it_may_be() -> None:
    gate = overload(bound=10)
    gate.backlog._set(50)
    await asyncio.wait_for(gate.room_for_partners(most_s=0.05), timeout=1)
    assert gate.behind()


async def test_an_unknown_backlog_holds_nothing_kafka_down_the_outbox_takes_the_work() -> None:
    gate = overload(bound=10)
    gate.backlog._set(None)
    assert not gate.behind()
    await asyncio.wait_for(gate.room_for_partners(most_s=30), timeout=1)
