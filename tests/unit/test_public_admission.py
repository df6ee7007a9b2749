"""The public form's bulkhead (``referrals.public.admission``): a few requests at once, a
short queue, anything more refused at once, and a place freed lets the next one in."""

from __future__ import annotations

import asyncio
from ipaddress import ip_network

from referrals.public.admission import Lanes, PublicIntake


async def test_a_full_queue_refuses_at_once_and_a_wait_ends_in_time() -> None:
    intake = PublicIntake(slots=1, waiting=1, wait_s=0.2)
    assert await intake.admitted()  # the one slot
    waiting = asyncio.create_task(intake.admitted())
    await asyncio.sleep(0)  # it queues
    assert intake.waiting == 1

    loop = asyncio.get_running_loop()
    started = loop.time()
    assert not await intake.admitted()  # the queue is full: refused at once
    assert loop.time() - started < 0.05

    assert not await waiting  # its wait ended without a slot
    assert intake.waiting == 0


async def test_a_slot_freed_goes_to_the_one_waiting() -> None:
    intake = PublicIntake(slots=1, waiting=4, wait_s=5)
    assert await intake.admitted()
    waiting = asyncio.create_task(intake.admitted())
    await asyncio.sleep(0)
    intake.slots.release()
    assert await asyncio.wait_for(waiting, 1)


def test_the_workspaces_calls_have_their_own_lane_by_their_connection_never_a_header() -> None:
    lanes = Lanes(
        workspace=PublicIntake(1, 1, 0.1),
        others=PublicIntake(1, 1, 0.1),
        workspace_networks=[ip_network("10.42.0.0/16")],
    )
    assert lanes.of("10.42.7.9") is lanes.workspace
    assert lanes.of("10.43.0.1") is lanes.others  # the ingress controller, say
    assert lanes.of(None) is lanes.others
    assert lanes.of("not an address") is lanes.others
