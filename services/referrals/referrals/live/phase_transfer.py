"""A plan's phase transfer (SEND Regulations 2014, Reg 18). Pure.

A child moving from one phase of education to the next has the plan reviewed and amended, the
amended plan naming the next school or college, **before** 15 February of the year of the move
(before 31 March for a young person moving from secondary school to a post-16 institution).
"Before" is exact: the last day the law allows is 14 February (30 March).

The year of transfer is worked out from the date of birth by the English school year: a school
year's cohort is the children born from 1 September to 31 August, and a child's age on the
31 August before a school year starts says which year group they join: Reception at 4, Year 3
(junior school) at 7, Year 7 (secondary) at 11, Year 12 (post-16) at 16. So a child born on
31 August moves a year before one born on 1 September of the same calendar year.

Assumptions (the caseworker sets the transfer where they do not hold): a child moves in the
September of the year of transfer; infant to junior is a transfer only where the named setting
is an infant school, which the platform cannot tell from a URN, so it is never worked out, only
set; middle schools likewise (a primary to middle move is recorded as ``primary_to_secondary``);
a child held back or moved forward a year has their year set by the caseworker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from referrals.statutory import InvalidStep
from shared.events import PhaseTransferKind

AGE_ON_31_AUGUST: dict[PhaseTransferKind, int] = {
    "early_years_to_primary": 4,  # Reception
    "infant_to_junior": 7,  # Year 3
    "primary_to_secondary": 11,  # Year 7
    "secondary_to_post_16": 16,  # Year 12
}
"""The age on the 31 August before the school year of the move (the year group joined)."""

WORKED_OUT: tuple[PhaseTransferKind, ...] = (
    "early_years_to_primary",
    "primary_to_secondary",
    "secondary_to_post_16",
)
"""The transfers every child makes, worked out from the date of birth (infant to junior is
set by the caseworker where the named setting is an infant school)."""

TRANSFER_OPEN_DAYS = 166
"""The default of ``PHASE_TRANSFER_OPEN_DAYS``: 1 September of the year before to 14 February
(the autumn term before the deadline)."""


@dataclass(frozen=True)
class PhaseTransfer:
    """A child's move to the next phase: in September of ``year``."""

    kind: PhaseTransferKind
    year: int

    @property
    def due_on(self) -> date:
        """The last day the law allows for the amended plan naming the next setting."""
        return last_legal_day(self.kind, self.year)

    @property
    def moves_on(self) -> date:
        """The first day of the school year of the move (1 September)."""
        return date(self.year, 9, 1)


def cohort_year(born: date) -> int:
    """The year of the 31 August that ends the child's school cohort (born 1 September of the
    year before to 31 August of this one)."""
    return born.year + 1 if (born.month, born.day) >= (9, 1) else born.year


def transfer_year(born: date, kind: PhaseTransferKind) -> int:
    """The year whose September the child makes this move in (by the English school year)."""
    return cohort_year(born) + AGE_ON_31_AUGUST[kind]


def last_legal_day(kind: PhaseTransferKind, year: int) -> date:
    """Reg 18: before 15 February of the year of transfer (before 31 March from secondary
    school to a post-16 institution): the day before is the last day."""
    before = date(year, 3, 31) if kind == "secondary_to_post_16" else date(year, 2, 15)
    return before - timedelta(days=1)


def next_transfer(born: date, today: date) -> PhaseTransfer | None:
    """The child's next transfer worked out from the date of birth: the first whose
    September is after ``today`` (None once the child has moved to post-16)."""
    for kind in WORKED_OUT:
        transfer = PhaseTransfer(kind, transfer_year(born, kind))
        if transfer.moves_on > today:
            return transfer
    return None


def review_opens_on(transfer: PhaseTransfer, open_days: int) -> date:
    """The day the scheduler opens the transfer's review: ``open_days`` before the deadline."""
    return transfer.due_on - timedelta(days=open_days)


def applies_to(transfer: PhaseTransfer, issued_on: date) -> bool:
    """Whether an amended plan issued on ``issued_on`` is the transfer's: one issued in the
    school year before the move (from 1 September of the year before to 31 August). An
    amendment of an earlier year is not, and need not name the next setting."""
    return date(transfer.year - 1, 9, 1) <= issued_on < transfer.moves_on


@dataclass(frozen=True)
class NamedSetting:
    """A school or college an amended plan names (section I): its URN, its UKPRN, or the type
    of setting where the council names a type."""

    urn: str | None = None
    ukprn: str | None = None
    setting_type: str | None = None

    def is_named(self) -> bool:
        return bool(self.urn or self.ukprn or self.setting_type)


def check_next_setting(
    transfer: PhaseTransfer, current: NamedSetting, next_setting: NamedSetting | None
) -> NamedSetting:
    """What is enforced of the amended plan of a transferring child: it names a setting (a
    URN, a UKPRN or a type), and not the one named now. The setting's phase is not checked:
    the platform holds no register of schools' phases (a through school, all-age special
    school or school sixth form may keep its URN: name its type to say so)."""
    if next_setting is None or not next_setting.is_named():
        raise InvalidStep(
            "next_setting",
            f"the child moves phase in September {transfer.year} ({transfer.kind}): the amended "
            "plan names the next school or college (Reg 18)",
        )
    same_urn = next_setting.urn is not None and next_setting.urn == current.urn
    same_ukprn = next_setting.ukprn is not None and next_setting.ukprn == current.ukprn
    if (same_urn or same_ukprn) and not next_setting.setting_type:
        raise InvalidStep(
            "next_setting",
            "names the setting the child attends now: name the next school or college (or, "
            "where the same setting continues into the next phase, its type)",
        )
    return next_setting


def born_from_still_to_move(today: date) -> date:
    """The earliest date of birth of a child whose post-16 move is still to come on ``today``
    (anyone older has made every move the platform works out)."""
    began = today.year if today >= date(today.year, 9, 1) else today.year - 1
    return date(began - 16, 9, 1)


CohortState = Literal["issued", "issued_late", "missed", "at_risk", "in_progress"]
"""Where a child of a transfer cohort stands: the amended plan naming the next setting issued
by the last legal day, or after it; not issued and the day passed, near, or still ahead."""


def state_of(due_on: date, met_on: date | None, today: date, at_risk_days: int) -> CohortState:
    if met_on is not None:
        return "issued" if met_on <= due_on else "issued_late"
    if due_on < today:
        return "missed"
    if due_on <= today + timedelta(days=at_risk_days):
        return "at_risk"
    return "in_progress"


YEARS_FROM_COHORT = 2
"""How far a year of transfer set by hand may be from the one the date of birth gives (a child
taught out of their year group, held back or moved forward)."""


def year_problem(born: date, transfer: PhaseTransfer) -> str | None:
    """Why a year of transfer set by hand (by the caseworker, or brought in) cannot be right."""
    expected = transfer_year(born, transfer.kind)
    if abs(transfer.year - expected) > YEARS_FROM_COHORT:
        return (
            f"{transfer.year} is more than {YEARS_FROM_COHORT} years from {expected}, the year "
            f"the date of birth gives for {transfer.kind}"
        )
    return None
