"""One live plan as a council brings it in (a JSON item or a CSV row: ``docs/live-plans.md``),
and the rules a well-formed row must also pass. Pure."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from referrals.domain import FamilyContact
from referrals.intake import IntakeRules, child_age_problem, council_problem, nhs_number_range
from referrals.live.phase_transfer import PhaseTransfer, year_problem
from referrals.schemas import REGULATIONS_IN_FORCE, Child
from shared.dates import add_months
from shared.events import PhaseTransferKind, Sen2Need

REVIEW_MONTHS = 12
"""Reg 20: a plan is reviewed at least every 12 months from its issue or its last review."""
MOST_NEEDS = 6


class OpenStep(BaseModel):
    """A statutory step under way when the plan is brought in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step: Literal["annual_review_meeting"] = Field(
        description="annual_review_meeting: the day of this year's review meeting, arranged "
        "or held, whose decision is still to come"
    )
    on: date


class PhaseTransferIn(BaseModel):
    """The child's next phase transfer as the council knows it (Reg 18); left out: worked out
    from the date of birth (``referrals.live.phase_transfer``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(ge=2014, le=2100, description="The child moves in September of this year")
    kind: PhaseTransferKind = Field(examples=["primary_to_secondary"])


class LivePlanIn(BaseModel):
    """An EHC plan in force in the council's earlier system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$",
        description="The council's own case id: bringing the same row in again changes nothing",
        examples=["LCC-2021-00042"],
    )
    local_authority: str = Field(pattern=r"^E[0-9]{8}$", examples=["E08000035"])
    child: Child
    family_contact: FamilyContact
    needs: list[Sen2Need] = Field(
        min_length=1, max_length=MOST_NEEDS, description="SEN2 needs in rank order, primary first"
    )
    issued_on: date = Field(
        description="The day the plan (or its latest amended version) was issued"
    )
    last_reviewed_on: date | None = Field(default=None, description="The last review meeting")
    next_review_on: date | None = Field(
        default=None,
        description="The next review meeting as the council planned it; left out: 12 months "
        "from the last review (or the issue)",
    )
    setting_urn: str | None = Field(default=None, pattern=r"^[0-9]{6}$", examples=["107958"])
    setting_ukprn: str | None = Field(default=None, pattern=r"^1[0-9]{7}$", examples=["10001234"])
    open_steps: list[OpenStep] = Field(default_factory=list, max_length=1)
    phase_transfer: PhaseTransferIn | None = Field(
        default=None,
        description="The next phase transfer, where the council sets it (an infant school, a "
        "child out of their year group); left out: worked out from the date of birth",
    )

    @field_validator("needs")
    @classmethod
    def _each_need_once(cls, value: list[Sen2Need]) -> list[Sen2Need]:
        if len(set(value)) != len(value):
            raise ValueError("each need once, in rank order")
        return value

    @model_validator(mode="after")
    def _one_setting(self) -> LivePlanIn:
        if self.setting_urn and self.setting_ukprn:
            raise ValueError("setting_urn or setting_ukprn, not both")
        return self

    @property
    def last_review_or_issue(self) -> date:
        return max(self.issued_on, self.last_reviewed_on or self.issued_on)

    @property
    def latest_review(self) -> date:
        """The latest day the next review may be (Reg 20)."""
        return add_months(self.last_review_or_issue, REVIEW_MONTHS)

    @property
    def review_due(self) -> date:
        return self.next_review_on or self.latest_review

    @property
    def review_meeting_on(self) -> date | None:
        return next((s.on for s in self.open_steps if s.step == "annual_review_meeting"), None)

    def fingerprint(self) -> str:
        """The row as compared when brought in again (its validated, normalised JSON)."""
        # A row without a transfer is compared as it was before the field existed.
        left_out = {"phase_transfer"} if self.phase_transfer is None else set()
        return hashlib.sha256(self.model_dump_json(exclude=left_out).encode()).hexdigest()


Problem = tuple[tuple[str, ...], str]
"""A field of a row (as ``LivePlanIn`` names it) and what is wrong with it."""


def rule_problems(plan: LivePlanIn, rules: IntakeRules, today: date) -> list[Problem]:
    """What a well-formed row breaks: the council, the dates, the child's age, test numbers."""
    problems: list[Problem] = []
    council = council_problem(plan.local_authority, rules.councils)
    if council:
        problems.append((("local_authority",), council))
    if plan.issued_on > today:
        problems.append((("issued_on",), f"must not be in the future (today is {today})"))
    if plan.issued_on < REGULATIONS_IN_FORCE:
        problems.append((("issued_on",), f"EHC plans began on {REGULATIONS_IN_FORCE}"))
    last = plan.last_reviewed_on
    if last is not None and not plan.issued_on <= last <= today:
        problems.append((("last_reviewed_on",), "must be between the issue and today"))
    if plan.next_review_on is not None and plan.next_review_on > plan.latest_review:
        problems.append(
            (
                ("next_review_on",),
                f"later than {plan.latest_review}, 12 months from the last review or the issue "
                "(Reg 20): the review must be by then",
            )
        )
    meeting = plan.review_meeting_on
    if meeting is not None and meeting <= plan.last_review_or_issue:
        problems.append((("open_steps",), "the meeting is after the last review and the issue"))
    age = child_age_problem(plan.child.date_of_birth, today)
    if age:
        problems.append((("child", "date_of_birth"), age.replace("the request", "the import")))
    if plan.phase_transfer is not None:
        set_by_council = PhaseTransfer(plan.phase_transfer.kind, plan.phase_transfer.year)
        wrong = year_problem(plan.child.date_of_birth, set_by_council)
        if wrong:
            problems.append((("phase_transfer", "year"), wrong))
    number = plan.child.nhs_number
    if number and nhs_number_range(number) == "test" and not rules.accept_test_nhs_numbers:
        problems.append((("child", "nhs_number"), "a test NHS number (999...), never issued"))
    return problems
