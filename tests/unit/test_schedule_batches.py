"""``in_batches``: a scheduled job works through its backlog batch by batch, and stops at the
first batch that found fewer rows than it could take."""

from __future__ import annotations

from shared.schedule import in_batches


async def test_batches_run_until_one_comes_short_and_their_rows_add_up() -> None:
    backlog = [200, 200, 37, 200]  # the last would be a new backlog: not this run's
    taken: list[int] = []

    async def batch() -> int:
        taken.append(backlog[len(taken)])
        return taken[-1]

    assert await in_batches(batch, 200) == 437
    assert taken == [200, 200, 37]


async def test_an_empty_backlog_takes_one_look() -> None:
    calls: list[int] = []

    async def batch() -> int:
        calls.append(0)
        return 0

    assert await in_batches(batch, 100) == 0
    assert calls == [0]
