"""Who makes the decisions (Children and Families Act 2014 s83, s80): the parent until the end
of compulsory school age (the last Friday in June of the school year the child turns 16),
then the young person (and never the parent again), or their representative where one acts
for them."""

from __future__ import annotations

from datetime import date

from referrals.public.rules import who_decides

BORN = date(2010, 1, 15)  # turns 16 in the school year 2025-26: leaves on Friday 26 June 2026


def test_the_parent_decides_until_the_last_friday_in_june_of_the_year_they_turn_16() -> None:
    assert who_decides(BORN, date(2026, 6, 26), represented=False) == "parent"
    assert who_decides(BORN, date(2026, 6, 27), represented=False) == "young_person"


def test_a_representative_decides_for_a_young_person_not_for_a_child() -> None:
    assert who_decides(BORN, date(2026, 6, 27), represented=True) == "representative"
    assert who_decides(BORN, date(2020, 1, 1), represented=True) == "parent"


def test_the_decisions_never_go_back_to_the_parent() -> None:
    assert who_decides(BORN, date(2035, 1, 15), represented=False) == "young_person"
