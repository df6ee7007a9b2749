"""The open requests' import page: its CSV template (the documented columns, the ones
referrals reads), its reading of the API's places for requests, its banner, and the summary
it keeps for the page after an import (ids only, the first ``LISTED``)."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from referrals.live import open_request_file
from web.live_plans import brought_in, problem
from web.open_requests import COLUMNS, LISTED, THINGS, summary

DOCS = Path(__file__).parents[2] / "docs" / "live-plans.md"


def test_the_template_has_every_column_referrals_reads_for_open_requests_in_the_docs() -> None:
    assert tuple(open_request_file.COLUMNS) == COLUMNS
    section = DOCS.read_text().split("## Open requests (assessments under way)")[1]
    for column in COLUMNS:
        assert f"`{column}`" in section, column


def test_a_json_problem_names_its_request_from_one_and_its_field() -> None:
    found = problem(("body", "requests", 2, "assessment_decided_on"), "is before received_on")
    assert found.where == "Request 3, field assessment_decided_on"
    nested = problem(("body", "requests", 0, "child", "date_of_birth"), "must be a date")
    assert (nested.row, nested.field) == ("Request 1", "child.date_of_birth")


def test_a_csv_problem_of_a_request_names_its_line_and_column() -> None:
    found = problem(("body", "line 2", "plan_decided_on"), "is in the future")
    assert found.where == "Line 2, column plan_decided_on"


def test_the_banner_counts_open_requests() -> None:
    assert brought_in(1, 0, "r.csv", THINGS) == "1 open request brought in from r.csv"
    assert brought_in(2, 1, "r.csv", THINGS) == (
        "2 open requests brought in from r.csv; 1 already brought in, left as it was"
    )
    assert brought_in(0, 2, "r.csv", THINGS) == (
        "All 2 open requests in r.csv were already brought in: nothing changed"
    )


def test_the_summary_keeps_ids_and_outcomes_of_the_first_listed_only() -> None:
    rows = [
        {"case_id": f"LCC-{n}", "referral_id": str(uuid4()), "outcome": "added"}
        for n in range(LISTED + 5)
    ]
    kept = summary({"added": len(rows), "unchanged": 0, "requests": rows}, "r.csv")
    assert kept["requests"] == rows[:LISTED]
    assert kept["more"] == 5
    assert kept["banner"] == f"{LISTED + 5} open requests brought in from r.csv"
    assert set(kept["requests"][0]) == {"case_id", "referral_id", "outcome"}
