"""Advice received on different days in an open requests file (``advice_received``: each
kind's day, ``docs/live-plans.md``): read from CSV pairs and JSON objects, each kind's receipt
replayed on its own day (its adviser's deadline met that day, a kind left out still awaited),
the days and kinds checked at the field, and a row without the field fingerprinted as
before."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any
from uuid import uuid4

from referrals.intake import IntakeRules
from referrals.live import open_request_file
from referrals.live.open_request_row import OpenRequestIn, Replayed, check

from shared.events import AdviceReceived

TODAY = date(2026, 11, 2)
RULES = IntakeRules(councils=frozenset({"E08000035"}), accept_test_nhs_numbers=False)
ADVICE = ["parent", "educational", "medical", "educational_psychology", "social_care"]


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
        "assessment_decision": "assess",
        "assessment_decided_on": "2026-07-01",
        "advice_kinds": ADVICE,
        "advice_requested_on": "2026-07-02",
        **steps,
    }  # fmt: skip


def _read_json(*items: dict[str, Any]) -> tuple[list[OpenRequestIn], list[Any]]:
    body = json.dumps({"requests": list(items)}).encode()
    rows, problems = open_request_file.read(body, "application/json")
    return [row for _, row in rows], problems


def _checked(row: OpenRequestIn) -> Replayed | list[tuple[tuple[str, ...], str]]:
    return check(row, uuid4(), RULES, TODAY)


def test_each_kind_is_received_on_its_own_day_and_the_kinds_left_out_are_awaited() -> None:
    received = {"medical": "2026-08-20", "parent": "2026-07-10", "educational": "2026-08-01"}
    (row,), problems = _read_json(_item(advice_received=received))
    assert problems == []
    replayed = _checked(row)
    assert isinstance(replayed, Replayed)
    got = [(e.kind, str(e.received_on)) for e in replayed.events if isinstance(e, AdviceReceived)]
    assert got == [("parent", "2026-07-10"), ("educational", "2026-08-01"),
                   ("medical", "2026-08-20")]  # fmt: skip
    assert all(getattr(e, "earlier_system", None) is True for e in replayed.events)


def test_a_csv_cell_of_kind_day_pairs_is_the_same_as_the_json_object() -> None:
    header = ("case_id,local_authority,child_given_name,child_family_name,child_date_of_birth,"
              "child_postcode,contact_name,contact_email,requested_by,received_on,needs,"
              "assessment_decision,assessment_decided_on,advice_kinds,advice_requested_on,"
              "advice_received\n")  # fmt: skip
    line = ("R-1,E08000035,Ada,Smith,2018-03-04,LS6 2AB,Ann Parent,ann@example.org,parent,"
            f"2026-06-01,SPLD,assess,2026-07-01,{' '.join(ADVICE)},2026-07-02,"
            "medical:2026-08-20 parent:2026-07-10\n")  # fmt: skip
    rows, problems = open_request_file.read((header + line).encode(), "text/csv")
    assert problems == []
    (from_json,), _ = _read_json(
        _item(advice_received={"medical": "2026-08-20", "parent": "2026-07-10"})
    )
    assert rows[0][1] == from_json
    assert rows[0][1].fingerprint() == from_json.fingerprint()


def test_bad_pairs_and_days_are_problems_at_the_column() -> None:
    header = "case_id,local_authority,child_given_name,child_family_name,child_date_of_birth,"
    header += "child_postcode,contact_name,contact_email,requested_by,received_on,needs,"
    header += "advice_received\n"
    line = "R-1,E08000035,Ada,Smith,2018-03-04,LS6 2AB,Ann,a@example.org,parent,2026-06-01,SPLD,"
    line += "medical\n"  # a kind without its day
    _, problems = open_request_file.read((header + line).encode(), "text/csv")
    assert problems
    assert {where for where, _ in problems} == {("line 2", "advice_received")}
    rows, problems = _read_json(
        _item(advice_received={"medical": "2026-06-30"}),  # before the advice was asked for
        _item(case_id="R-2", advice_received={"medical": "2026-11-03"}),  # in the future
        _item(case_id="R-3", advice_received={"teacher_of_the_deaf": "2026-08-01"}),
        _item(case_id="R-4", advice_received={"medical": "2026-08-01"},
              advice_received_on="2026-08-01"),
        _item(case_id="R-5", advice_kinds=[], advice_requested_on=None,
              advice_received={"medical": "2026-08-01"}),
    )  # fmt: skip
    assert problems == []
    outcomes: list[list[tuple[tuple[str, ...], str]]] = []
    for row in rows:
        outcome = _checked(row)
        assert isinstance(outcome, list)
        assert [where for where, _ in outcome] == [("advice_received",)]
        outcomes.append(outcome)
    assert "medical: must not be before the advice was asked for" in outcomes[0][0][1]
    assert "medical: must not be in the future" in outcomes[1][0][1]
    assert "teacher_of_the_deaf was not asked for" in outcomes[2][0][1]
    assert "not both" in outcomes[3][0][1]
    assert "needs the advice asked for" in outcomes[4][0][1]


def test_a_row_without_the_field_has_the_fingerprint_it_had_before_the_field() -> None:
    (row,), _ = _read_json(_item(advice_received_on="2026-08-01"))
    before = row.model_dump_json(exclude={"advice_received"})
    assert row.fingerprint() == hashlib.sha256(before.encode()).hexdigest()
    (other,), _ = _read_json(_item(advice_received={"medical": "2026-08-01"}))
    assert other.fingerprint() != row.fingerprint()
