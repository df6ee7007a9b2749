"""The open requests' import format (``docs/live-plans.md``): rows read from CSV and JSON with
every problem at its line and column (or ``requests[i]`` and field), and each row's steps
replayed through the statutory process: its stage and deadlines as the recorded days leave
them, steps out of order and days in the future refused at their field."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from notifications.catalogue import CATALOGUE
from notifications.domain import alerts_for
from referrals.intake import IntakeRules
from referrals.live import open_request_file
from referrals.live.import_file import BadFile
from referrals.live.open_request_row import OpenRequestIn, Replayed, check
from referrals.statutory import Deadline, Stage, deadline_dates

from shared.events import AssessmentDecided, DraftPlanIssued, EhcAssessmentRequested

TODAY = date(2026, 11, 2)
RULES = IntakeRules(councils=frozenset({"E08000035"}), accept_test_nhs_numbers=False)
HEADER = (
    "case_id,local_authority,child_given_name,child_family_name,child_date_of_birth,"
    "child_postcode,contact_name,contact_email,requested_by,received_on,needs,"
    "assessment_decision,assessment_decided_on,advice_kinds,advice_requested_on,"
    "plan_decision,plan_decided_on,draft_issued_on\n"
)
ADVICE = "parent educational medical educational_psychology social_care"


def _line(case_id: str, steps: str = ",,,,,,", received: str = "2026-06-01") -> str:
    return (
        f"{case_id},E08000035,Ada,Smith,2018-03-04,LS6 2AB,Ann Parent,ann@example.org,parent,"
        f"{received},SPLD ASD,{steps}\n"
    )


def _item(**steps: Any) -> dict[str, Any]:
    return {
        "case_id": "R-1",
        "local_authority": "E08000035",
        "child": {"given_name": "Ada", "family_name": "Smith", "date_of_birth": "2018-03-04",
                  "postcode": "LS6 2AB"},
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
        "requested_by": "parent",
        "received_on": "2026-06-01",
        "needs": ["SPLD"],
        **steps,
    }  # fmt: skip


def _checked(row: OpenRequestIn) -> Replayed | list[tuple[tuple[str, ...], str]]:
    return check(row, uuid4(), RULES, TODAY)


def test_csv_rows_at_each_stage_come_out_at_that_stage_with_the_clock_from_received_on() -> None:
    body = (
        HEADER
        + _line("R-1")
        + _line("R-2", "assess,2026-07-01,,,,,")
        + _line("R-3", f"assess,2026-07-01,{ADVICE},2026-07-02,,,")
        + _line("R-4", f"assess,2026-07-01,{ADVICE},2026-07-02,issue,2026-09-01,2026-09-10")
    )
    rows, problems = open_request_file.read(body.encode(), "text/csv")
    assert problems == []
    outcomes = [_checked(row) for _, row in rows]
    assert all(isinstance(o, Replayed) for o in outcomes)
    replayed = [o for o in outcomes if isinstance(o, Replayed)]
    assert [r.request.stage for r in replayed] == [
        Stage.REQUESTED, Stage.ASSESSING, Stage.ASSESSING, Stage.DRAFT_PLAN_ISSUED
    ]  # fmt: skip
    clock = deadline_dates(date(2026, 6, 1))
    assert replayed[0].request.due(Deadline.FINAL_PLAN) == clock[Deadline.FINAL_PLAN][1]
    assert replayed[0].request.due(Deadline.DECISION) == date(2026, 7, 13)
    draft = replayed[3]
    assert [type(e) for e in draft.events][:2] == [EhcAssessmentRequested, AssessmentDecided]
    issued = draft.events[-1]
    assert isinstance(issued, DraftPlanIssued)
    assert issued.comments_due == date(2026, 9, 25)
    assert issued.final_plan_due == date(2026, 10, 19)  # 20 weeks from received_on


def test_a_draft_without_a_decision_to_issue_is_out_of_order_at_its_column() -> None:
    body = HEADER + _line("R-5", f"assess,2026-07-01,{ADVICE},2026-07-02,,,2026-09-10")
    ((_, row),), _ = open_request_file.read(body.encode(), "text/csv")
    problems = _checked(row)
    assert isinstance(problems, list)
    assert [where for where, _ in problems] == [("draft_issued_on",)]
    assert "out of order" in problems[0][1]


def test_a_day_in_the_future_is_refused_at_its_field() -> None:
    later = (TODAY + timedelta(3)).isoformat()
    row = OpenRequestIn.model_validate(
        _item(assessment_decision="assess", assessment_decided_on=later)
    )
    problems = _checked(row)
    assert isinstance(problems, list)
    assert [where for where, _ in problems] == [("assessment_decided_on",)]
    assert "future" in problems[0][1]
    row = OpenRequestIn.model_validate(_item(received_on=later))
    assert [where for where, _ in _checked(row)] == [("received_on",)]  # type: ignore[union-attr]


def test_a_decision_before_the_request_and_a_plan_decision_without_the_advice() -> None:
    early = OpenRequestIn.model_validate(
        _item(assessment_decision="assess", assessment_decided_on="2026-05-01")
    )
    assert [w for w, _ in _checked(early)] == [("assessment_decided_on",)]  # type: ignore[union-attr]
    unadvised = OpenRequestIn.model_validate(
        _item(assessment_decision="assess", assessment_decided_on="2026-07-01",
              advice_kinds=["parent"], advice_requested_on="2026-07-02",
              plan_decision="issue", plan_decided_on="2026-09-01")
    )  # fmt: skip
    assert [w for w, _ in _checked(unadvised)] == [("advice_kinds",)]  # type: ignore[union-attr]


def test_a_step_without_its_day_is_named_at_the_missing_day() -> None:
    row = OpenRequestIn.model_validate(_item(plan_decision="issue"))
    assert [w for w, _ in _checked(row)] == [("plan_decided_on",)]  # type: ignore[union-attr]


def test_every_bad_cell_of_a_csv_file_is_named_by_line_and_column() -> None:
    body = (
        HEADER
        + _line("R-6", received="2026-13-01")
        + _line("R-7", "maybe,2026-07-01,,,,,")
        + _line("R-8", f"assess,2026-07-01,{ADVICE} gossip,2026-07-02,,,")
    )
    rows, problems = open_request_file.read(body.encode(), "text/csv")
    assert rows == []
    assert sorted(where for where, _ in problems) == [
        ("line 2", "received_on"),
        ("line 3", "assessment_decision"),
        ("line 4", "advice_kinds"),
    ]


def test_json_problems_are_named_by_requests_index_and_field() -> None:
    document = {"requests": [_item(), _item(needs=["NOPE"]), "a row"]}
    rows, problems = open_request_file.read(json.dumps(document).encode(), "application/json")
    assert len(rows) == 1
    assert [where for where, _ in problems] == [
        ("requests", 1, "needs", 0),
        ("requests", 2, "row"),
    ]


def test_a_file_that_is_not_the_format_is_refused_whole() -> None:
    with pytest.raises(BadFile, match="missing columns"):
        open_request_file.read(b"case_id,local_authority\nR-1,E08000035\n", "text/csv")
    with pytest.raises(BadFile, match='"requests"'):
        open_request_file.read(b'{"plans": []}', "application/json")


def test_the_same_row_has_the_same_fingerprint_and_another_detail_another() -> None:
    first = OpenRequestIn.model_validate(_item())
    again = OpenRequestIn.model_validate(_item())
    other = OpenRequestIn.model_validate(_item(received_on="2026-06-02"))
    assert first.fingerprint() == again.fingerprint() != other.fingerprint()


def test_steps_from_the_earlier_system_are_flagged_and_cause_no_messages() -> None:
    row = OpenRequestIn.model_validate(
        _item(assessment_decision="refuse", assessment_decided_on="2026-07-01",
              refusal_reason="needs_met_from_available_provision")
    )  # fmt: skip
    replayed = _checked(row)
    assert isinstance(replayed, Replayed)
    assert replayed.request.stage is Stage.ASSESSMENT_REFUSED
    assert all(e.earlier_system for e in replayed.events)  # type: ignore[attr-defined]
    for event in replayed.events:
        kinds = CATALOGUE[type(event)]
        assert kinds, "the same event taken here causes messages"
        assert alerts_for(event, kinds, event_id=uuid4(), local_authority="E08000035") == []
        taken_here = event.model_copy(update={"earlier_system": False})
        assert alerts_for(taken_here, kinds, event_id=uuid4(), local_authority="E08000035")


def test_advice_received_before_it_was_asked_for_is_refused_at_its_field() -> None:
    row = OpenRequestIn.model_validate(
        _item(assessment_decision="assess", assessment_decided_on="2026-07-01",
              advice_kinds=["medical"], advice_requested_on="2026-07-02",
              advice_received_on="2026-07-01")
    )  # fmt: skip
    assert [w for w, _ in _checked(row)] == [("advice_received_on",)]  # type: ignore[union-attr]
    received = OpenRequestIn.model_validate(
        _item(assessment_decision="assess", assessment_decided_on="2026-07-01",
              advice_kinds=["medical"], advice_requested_on="2026-07-02",
              advice_received_on="2026-08-01")
    )  # fmt: skip
    replayed = _checked(received)
    assert isinstance(replayed, Replayed)
    assert [e.name for e in replayed.events][-1] == "advice-received"
