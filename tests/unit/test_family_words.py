"""A plan in a family's words: provision quantified in plain English, dates as GOV.UK writes
them, and only the statuses a family may see showing the plan."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from plans.document import Provision
from plans.family.shapes import Council, FamilyPlan, Preparing
from plans.family.view import family_plan
from plans.family.words import how_long, how_often, in_words, long_date, where

from tests.plan_documents import plans_by_area


@pytest.mark.parametrize(
    ("per_week", "said"),
    [
        (1, "once a week"),
        (2, "twice a week"),
        (3, "three times a week"),
        (5, "five times a week"),
        (0.5, "once every 2 weeks"),
        (0.25, "once every 4 weeks"),
        (1.5, "three times every 2 weeks"),
        (12, "12 times a week"),
    ],
)
def test_how_often_is_said_in_words(per_week: float, said: str) -> None:
    assert how_often(per_week) == said


def test_durations_places_and_dates_read_naturally() -> None:
    assert [how_long(m) for m in (1, 30, 60, 90, 120)] == [
        "1 minute", "30 minutes", "1 hour", "1 hour and 30 minutes", "2 hours",
    ]  # fmt: skip
    assert where("school") == "at school"
    assert where("a quiet room at school") == "in a quiet room at school"
    assert where("in class") == "in class"
    assert long_date(date(2027, 7, 6)) == "6 July 2027"


def test_a_provision_line_is_one_plain_sentence() -> None:
    line = Provision(
        id="p",
        outcome_ids=["o"],
        support="language groups",
        delivered_by="a speech and language therapist",
        sessions_per_week=2,
        minutes_per_session=30,
        weeks=12,
        group_size=4,
        where="school",
        standard_id="SLCN-EXPR-01",
    )
    assert in_words(line) == (
        "Twice a week, 30 minutes each time, for 12 weeks, in a group of up to 4 children, "
        "at school, with a speech and language therapist."
    )
    one_to_one = line.model_copy(update={"group_size": 1, "weeks": 1})
    assert "for 1 week, on their own with the adult," in in_words(one_to_one)


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("draft", False),
        ("needs_attention", False),
        ("changes_requested", False),
        ("shared", True),
        ("issued_for_comment", True),
        ("agreed", True),
        ("final", True),
        ("review_due", True),
    ],
)
def test_the_family_sees_the_plan_only_once_it_is_shared(status: str, shown: bool) -> None:
    document = plans_by_area()["cognition-and-learning"]
    row = {
        "status": status,
        "sections": document.model_dump(mode="json"),
        "created_at": "2026-07-15T23:30:00+00:00",
    }
    council = Council("Leeds City Council")
    seen = family_plan(row, uuid4(), council)
    assert isinstance(seen, FamilyPlan if shown else Preparing)
    assert isinstance(family_plan(row, uuid4(), council, staff=True), FamilyPlan)
    if isinstance(seen, FamilyPlan):
        assert seen.comments_open == (status in ("shared", "issued_for_comment"))
        assert seen.dated == "16 July 2026"  # 23:30 UTC is past midnight in London (BST)
        assert seen.help[0].goals == [1]
