"""The import format's optional phase transfer: CSV columns ``transfer_year`` and
``transfer_kind`` (JSON ``phase_transfer``), a year too far from the date of birth refused at
its place, and a row without it compared as before the field existed (an import brought in
again stays "unchanged")."""

from __future__ import annotations

import hashlib
from datetime import date

from referrals.intake import IntakeRules
from referrals.live import import_file
from referrals.live.plan_row import rule_problems

HEADER = (
    "case_id,local_authority,child_given_name,child_family_name,child_date_of_birth,"
    "child_postcode,contact_name,contact_email,needs,issued_on,transfer_year,transfer_kind\n"
)


def _row(case_id: str, year: str, kind: str) -> str:
    return (
        f"{case_id},E08000035,Ada,Smith,2019-01-15,LS6 2AB,Ann Parent,ann@example.org,ASD,"
        f"2024-05-01,{year},{kind}\n"
    )


def test_a_csv_row_carries_the_councils_transfer_and_an_empty_one_is_left_out() -> None:
    body = HEADER + _row("A-1", "2026", "infant_to_junior") + _row("A-2", "", "")
    rows, problems = import_file.read(body.encode(), "text/csv")
    assert problems == []
    (_, set_), (_, left_out) = rows
    assert set_.phase_transfer is not None
    assert (set_.phase_transfer.year, set_.phase_transfer.kind) == (2026, "infant_to_junior")
    assert left_out.phase_transfer is None


def test_a_bad_kind_is_named_at_its_line_and_column() -> None:
    _, problems = import_file.read((HEADER + _row("A-3", "2026", "junior")).encode(), "text/csv")
    assert [where for where, _ in problems] == [("line 2", "transfer_kind")]


def test_a_year_far_from_the_date_of_birth_is_refused() -> None:
    rows, _ = import_file.read(
        (HEADER + _row("A-4", "2031", "infant_to_junior")).encode(), "text/csv"
    )
    ((_, plan),) = rows
    rules = IntakeRules(councils=frozenset({"E08000035"}), accept_test_nhs_numbers=False)
    problems = rule_problems(plan, rules, date(2026, 1, 10))
    assert [where for where, _ in problems] == [("phase_transfer", "year")]


def test_a_row_without_a_transfer_is_compared_as_before() -> None:
    rows, _ = import_file.read((HEADER + _row("A-5", "", "")).encode(), "text/csv")
    ((_, plan),) = rows
    before = plan.model_dump_json(exclude={"phase_transfer"})
    assert "phase_transfer" not in before
    assert plan.fingerprint() == hashlib.sha256(before.encode()).hexdigest()
