"""A handler's lock on its referral costs no statement when the consumed batch's transaction
holds it already (``shared.referral_locks``), and is taken whenever that is not known."""

from __future__ import annotations

from typing import Any

from shared.referral_locks import LOCK_REFERRAL, LOCK_REFERRALS, lock_referral, referrals_locked


class Statements:
    """A connection that records what it is asked to execute."""

    def __init__(self) -> None:
        self.run: list[tuple[str, tuple[Any, ...]]] = []

    async def execute(self, query: str, *args: Any) -> str:
        self.run.append((query, args))
        return "SELECT 1"


async def test_a_referral_the_batch_locked_is_not_locked_again() -> None:
    conn = Statements()
    async with referrals_locked(conn, ["b", "a", "b"]):  # type: ignore[arg-type]
        assert conn.run == [(LOCK_REFERRALS, (["a", "b"],))]  # once each, in the ids' order
        await lock_referral(conn, "a")  # type: ignore[arg-type]
        await lock_referral(conn, "b")  # type: ignore[arg-type]
        assert len(conn.run) == 1


async def test_any_other_lock_is_taken() -> None:
    conn, other = Statements(), Statements()
    async with referrals_locked(conn, ["a"]):  # type: ignore[arg-type]
        await lock_referral(conn, "c")  # type: ignore[arg-type]  # not the batch's
        await lock_referral(other, "a")  # type: ignore[arg-type]  # another transaction
    await lock_referral(conn, "a")  # type: ignore[arg-type]  # the batch is over
    assert conn.run[1:] == [(LOCK_REFERRAL, ("c",)), (LOCK_REFERRAL, ("a",))]
    assert other.run == [(LOCK_REFERRAL, ("a",))]
