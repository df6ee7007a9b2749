"""The import page's reading of the API's problems, its banner, and its CSV template (the
documented columns, the ones referrals reads)."""

from __future__ import annotations

from pathlib import Path

from referrals.live import import_file
from web.live_plans import COLUMNS, brought_in, problem

DOCS = Path(__file__).parents[2] / "docs" / "live-plans.md"


def test_the_template_has_every_column_referrals_reads_and_the_docs_list() -> None:
    assert set(COLUMNS) == set(import_file.COLUMNS)
    assert len(COLUMNS) == len(set(COLUMNS))
    table = DOCS.read_text()
    for column in COLUMNS:
        assert f"`{column}`" in table, column


def test_a_csv_problem_names_its_line_and_column() -> None:
    found = problem(("body", "line 3", "child_date_of_birth"), "must be a date")
    assert (found.row, found.field) == ("Line 3", "child_date_of_birth")
    assert found.where == "Line 3, column child_date_of_birth"


def test_a_json_problem_names_its_plan_from_one_and_its_field() -> None:
    found = problem(("body", "plans", 0, "child", "date_of_birth"), "must be a date")
    assert found.where == "Plan 1, field child.date_of_birth"


def test_a_problem_with_the_whole_file_has_no_place() -> None:
    found = problem(("body", "file"), "is not UTF-8")
    assert (found.row, found.field, found.where) == (None, None, "The file")


def test_the_banner_counts_what_was_added_and_what_was_there_already() -> None:
    assert brought_in(2, 0, "a.csv") == "2 plans brought in from a.csv"
    assert brought_in(1, 1, "a.csv") == (
        "1 plan brought in from a.csv; 1 already brought in, left as it was"
    )
    assert brought_in(0, 3, "a.csv") == (
        "All 3 plans in a.csv were already brought in: nothing changed"
    )
