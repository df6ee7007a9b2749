"""A referral refused for want of room is told to wait as long as the intake's pace says its
turn will take (``referrals.pace``), not one second whatever the load: refused clients that
honour ``Retry-After`` spread their retries instead of all coming back a second later."""

from __future__ import annotations

import asyncio
import random
from collections.abc import MutableMapping
from typing import Any

from referrals.overload import IntakeOverloadGate, Overload, PipelineBacklog
from referrals.pace import IntakePace
from referrals.public.admission import PublicIntake


class Longest(random.Random):
    """Draws the longest wait: what the pace allows, seen through the gate."""

    def randint(self, a: int, b: int) -> int:
        return b


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_few_refused_beside_many_taken_in_wait_a_second() -> None:
    clock = Clock()
    pace = IntakePace(most_s=30, clock=clock)
    for _ in range(10):
        pace.took()
    pace.refuse()
    clock.now += 1
    assert pace.wait_s() == 1
    assert pace.refuse() == 1


def test_many_refused_are_told_how_long_the_last_seconds_pace_needs_at_most_the_bound() -> None:
    clock = Clock()
    pace = IntakePace(most_s=30, clock=clock)
    for _ in range(20):
        pace.took()
    for _ in range(200):
        pace.refuse()
    clock.now += 1
    pace.refuse()
    assert pace.wait_s() == 10  # 200 refused at 20 taken in a second
    clock.now += 1  # the last second: 1 refused, none taken in
    assert pace.refuse() == 1
    for _ in range(5000):
        pace.refuse()
    clock.now += 1
    pace.refuse()
    assert pace.wait_s() == 30


def test_the_refused_are_spread_over_the_wait_not_sent_back_together() -> None:
    clock = Clock()
    pace = IntakePace(most_s=30, clock=clock, draw=random.Random(25))
    pace.took()
    for _ in range(10):
        pace.refuse()
    clock.now += 1
    told = [pace.refuse() for _ in range(1000)]  # the last second: 10 refused at 1 taken in
    assert set(told) == set(range(1, 11))


def test_an_idle_second_forgets_the_pace() -> None:
    clock = Clock()
    pace = IntakePace(most_s=30, clock=clock)
    for _ in range(500):
        pace.refuse()
    clock.now += 2
    assert pace.refuse() == 1
    assert pace.wait_s() == 1


def test_the_gate_tells_a_refused_referral_the_paces_wait() -> None:
    clock = Clock()
    slots = PublicIntake(1, 0, 0.0)
    overload = Overload(
        slots,
        PipelineBacklog({}, namespace="t.", intake_topics=(), interval_s=1),
        backlog_events=10,
        retry_after_s=5,
        pace=IntakePace(most_s=60, clock=clock, draw=Longest()),
    )

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a refused referral reached the application")

    gate = IntakeOverloadGate(app, overload=overload, paths=("/v1/referrals",))

    async def post() -> dict[bytes, bytes]:
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/v1/referrals", "headers": []}
        await gate(scope, receive, send)
        assert sent[0]["status"] == 503
        return dict(sent[0]["headers"])

    async def scenario() -> tuple[bytes, bytes]:
        await slots.slots.acquire()  # the only slot held: every referral is refused
        overload.pace.took()
        first = (await post())[b"retry-after"]
        for _ in range(39):
            await post()
        clock.now += 1
        return first, (await post())[b"retry-after"]

    first, later = asyncio.run(scenario())
    assert first == b"1"
    assert later == b"40"  # 40 refused at 1 taken in a second
