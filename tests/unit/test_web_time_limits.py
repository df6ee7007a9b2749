"""Whose limit each deadline on a caseworker's page is: only the limits the law sets on the
council are called legal; an adviser's 6 weeks is theirs (Reg 8)."""

from __future__ import annotations

import pytest
from referrals.live.annual_review import ReviewDeadline
from referrals.live.phase_transfer_watch import DEADLINE as PHASE_TRANSFER
from referrals.live.reassessment import LivePlanDeadline
from web import words


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("decision", "Legal time limit"),
        ("final_plan", "Legal time limit"),
        ("issue_decision", "Council's target"),
        ("draft_plan", "Council's target"),
        ("transfer_decision", "Legal time limit"),
        ("phase_transfer", "Legal time limit"),
        ("review_meeting", "Legal time limit"),
        ("advice:educational", "Adviser's legal time limit (6 weeks, Reg 8)"),
    ],
)
def test_only_the_laws_limits_on_the_council_are_called_legal(kind: str, said: str) -> None:
    assert words.limit_kind(kind) == said


def test_every_limit_of_a_plan_in_force_has_a_name_in_the_caseload() -> None:
    """The caseload's "next deadline" shows these kinds too (referrals' migration 0068): each
    has its name, not its code."""
    kinds = [*ReviewDeadline, *LivePlanDeadline, PHASE_TRANSFER]
    assert [k for k in kinds if k not in words.DEADLINES] == []
