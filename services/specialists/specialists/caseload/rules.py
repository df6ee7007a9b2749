"""What a practitioner may do with an allocation of theirs, and the events it comes to. Pure.

An allocation is accepted once; the first session is arranged (or its date changed) once it
is accepted, on a day from the allocation's to a year ahead; sessions are recorded as given,
on a day from the allocation's to today, while it is active, against a line of the plan's
provision that the allocation's role delivers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from shared.events import AllocationAccepted, FirstSessionArranged

ARRANGED_AHEAD = timedelta(days=365)
"""How far ahead a first session may be arranged."""
LONGEST_SESSION_MINUTES = 480


class Refused(Exception):
    """Not now: the allocation's state does not allow it (409)."""


class BadDay(ValueError):
    """A day or an amount the step cannot take (422 naming ``field``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Allocated:
    """An allocation as its practitioner acts on it."""

    id: UUID
    referral_id: UUID
    specialist_id: UUID
    role: str
    local_authority: str
    status: str
    allocated_on: date
    accepted_on: date | None
    first_session_on: date | None

    def must_be_active(self) -> None:
        if self.status != "active":
            raise Refused("the allocation has ended")


def accept(allocation: Allocated, today: date) -> AllocationAccepted:
    """The practitioner takes the child on."""
    allocation.must_be_active()
    if allocation.accepted_on is not None:
        raise Refused(f"the allocation was accepted on {allocation.accepted_on.isoformat()}")
    return AllocationAccepted(
        referral_id=allocation.referral_id,
        allocation_id=allocation.id,
        specialist_id=allocation.specialist_id,
        specialism=allocation.role,
        local_authority=allocation.local_authority,
        accepted_on=today,
    )


def arrange_first_session(
    allocation: Allocated, on: date, today: date
) -> FirstSessionArranged | None:
    """The first session on ``on`` (None: arranged for that day already, nothing changes)."""
    allocation.must_be_active()
    if allocation.accepted_on is None:
        raise Refused("accept the allocation before arranging its first session")
    if on < allocation.allocated_on:
        raise BadDay("session_on", "must not be before the child was allocated")
    if on > today + ARRANGED_AHEAD:
        raise BadDay("session_on", "must be within a year from today")
    if on == allocation.first_session_on:
        return None
    return FirstSessionArranged(
        referral_id=allocation.referral_id,
        allocation_id=allocation.id,
        specialist_id=allocation.specialist_id,
        specialism=allocation.role,
        local_authority=allocation.local_authority,
        session_on=on,
        rearranged=allocation.first_session_on is not None,
    )


def check_session(allocation: Allocated, given_on: date, minutes: int, today: date) -> None:
    """A session given may be recorded (else ``Refused`` or ``BadDay``)."""
    allocation.must_be_active()
    if allocation.accepted_on is None:
        raise Refused("accept the allocation before recording sessions")
    if given_on > today:
        raise BadDay("given_on", "must be today or before: record a session once given")
    if given_on < allocation.allocated_on:
        raise BadDay("given_on", "must not be before the child was allocated")
    if not 0 < minutes <= LONGEST_SESSION_MINUTES:
        raise BadDay("minutes", f"must be from 1 to {LONGEST_SESSION_MINUTES}")


def check_provision(asked: Sequence[str], provision_id: str) -> None:
    """A session delivers a line of the plan's provision that the practitioner's role gives
    (``asked``: those lines' ids). A plan drafted before its provision reached specialists
    (``asked`` empty) takes any line's id, as before."""
    if asked and provision_id not in asked:
        raise BadDay(
            "provision_id",
            f"must be a line of the plan's provision for your role: one of {', '.join(asked)}",
        )
