"""The workspace's plan forms, pure: a section's lines to form rows and back, the plans
service's 422 put back on the row it is about, a caseworker's change reapplied on top of
someone else's, and a failed quality check in words with the section it is in."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from web.plan import lines, problems, reapply, wording
from web.plan.sections import SECTIONS

OUTCOMES, PROVISION, ADVICE = SECTIONS["E"], SECTIONS["F"], SECTIONS["K"]


def _outcome(n: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"outcome-{n}",
        "need_ids": ["need-1"],
        "text": f"outcome {n}'s words",
        "measure": "termly observation",
        "review_on": "2027-03-01",
        "standard_id": "SLCN-EXPR-01",
        **changes,
    }


def _provision(n: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"provision-{n}",
        "outcome_ids": ["outcome-1"],
        "support": "a structured oral language programme",
        "delivered_by": "a teaching assistant supervised by a speech and language therapist",
        "role": "speech_and_language_therapy",
        "sessions_per_week": 0.5,
        "minutes_per_session": 20,
        "weeks": 15,
        "group_size": 4,
        "where": "a quiet room at school",
        "standard_id": "SLCN-EXPR-01",
        **changes,
    }


def _as_posted(section_rows: list[dict[str, Any]], prefix: str = "row") -> FormData:
    """Rows as the browser posts them (every value a string; a list as repeated names)."""
    items: list[tuple[str, Any]] = [("rows", str(len(section_rows)))]
    for n, row in enumerate(section_rows):
        for name, value in row.items():
            if isinstance(value, list):
                items += [(f"{prefix}-{n}-{name}", v) for v in value]
            elif isinstance(value, dict):
                items += [(f"{prefix}-{n}-{name}-{p}", v) for p, v in value.items()]
            else:
                items.append((f"{prefix}-{n}-{name}", value))
    return FormData(items)


def test_a_section_read_into_the_form_and_posted_back_is_the_same_section() -> None:
    content = [_provision(1), _provision(2, sessions_per_week=2.0, role=None)]
    rows, removed = lines.posted_rows(PROVISION, _as_posted(lines.rows_of(PROVISION, content)))
    built = lines.content_of(PROVISION, rows, removed)
    assert built.errors == {}
    assert built.content == content
    assert isinstance(built.content[1]["sessions_per_week"], int)  # "2", as typed


def test_a_removed_row_is_not_sent_and_the_api_numbers_are_put_back_on_the_right_rows() -> None:
    rows = lines.rows_of(PROVISION, [_provision(1), _provision(2), _provision(3)])
    built = lines.content_of(PROVISION, rows, removed={1})
    assert [line["id"] for line in built.content] == ["provision-1", "provision-3"]
    # The API's second line is the form's third row.
    placed, general = problems.api_problems(
        PROVISION,
        rows,
        built.sent,
        [
            (("body", "content", 1, "sessions_per_week"), "Input should be greater than 0"),
            (("body", "reason"), "String should have at least 1 character"),
            (("body", "content"), "the section is not a list"),
        ],
    )
    assert placed == {
        "row-2-sessions_per_week": "Provision 3: sessions a week must be more than 0",
        "reason": "Enter why you changed it",
    }
    assert general == ["The section is not a list"]


def test_what_cannot_be_sent_is_named_on_its_row_and_nothing_else_is_judged() -> None:
    rows = lines.rows_of(OUTCOMES, [_outcome(1)])
    rows = [*rows, lines.blank_row(OUTCOMES, rows)]
    rows[0]["review_on"] = {"day": "31", "month": "2", "year": "2027"}
    built = lines.content_of(OUTCOMES, rows, set())
    # A date that is not one cannot be sent; the empty words and needs are the API's to judge.
    assert built.errors == {
        "row-0-review_on-day": "Outcome 1: review date must be a real date",
        "row-1-review_on-day": "Outcome 2: enter review date",
    }
    # Left out, the API's 422 names them ("Field required": "Outcome 2: enter outcome").
    assert built.content[1] == {"id": "outcome-2", "standard_id": "caseworker", "need_ids": []}
    bad = lines.rows_of(PROVISION, [_provision(1)])
    bad[0]["weeks"] = "twelve"
    assert lines.content_of(PROVISION, bad, set()).errors == {
        "row-0-weeks": "Provision 1: for how many weeks must be a number, like 2 or 0.5"
    }


def test_a_new_row_takes_the_next_id_of_its_kind_and_says_a_caseworker_wrote_it() -> None:
    rows = lines.rows_of(OUTCOMES, [_outcome(1), _outcome(4)])
    new = lines.blank_row(OUTCOMES, rows)
    assert new["id"] == "outcome-5"
    assert new["standard_id"] == "caseworker"


def _rows(*outcomes: dict[str, Any]) -> list[dict[str, Any]]:
    return lines.rows_of(OUTCOMES, list(outcomes))


def test_changes_to_different_answers_of_one_line_are_both_kept() -> None:
    base = _rows(_outcome(1), _outcome(2))
    theirs = _rows(_outcome(1, text="their words"), _outcome(2))
    mine = _rows(_outcome(1, measure="my measure"), _outcome(2))
    merged = reapply.reapplied_rows(OUTCOMES, base, theirs, mine)
    assert merged.rows == _rows(_outcome(1, text="their words", measure="my measure"), _outcome(2))
    assert merged.clashes == []


def test_the_same_answer_changed_by_both_keeps_mine_and_says_so() -> None:
    base = _rows(_outcome(1))
    merged = reapply.reapplied_rows(
        OUTCOMES, base, _rows(_outcome(1, text="theirs")), _rows(_outcome(1, text="mine"))
    )
    assert merged.rows == _rows(_outcome(1, text="mine"))
    assert merged.clashes == ["Outcome 1: you both changed outcome: yours is in the form"]


def test_lines_added_by_both_are_kept_and_mine_takes_the_next_id() -> None:
    base = _rows(_outcome(1))
    theirs = _rows(_outcome(1), _outcome(2, text="theirs"))
    mine = _rows(_outcome(1), _outcome(2, text="mine", standard_id="caseworker"))
    merged = reapply.reapplied_rows(OUTCOMES, base, theirs, mine)
    assert [(r["id"], r["text"]) for r in merged.rows] == [
        ("outcome-1", "outcome 1's words"),
        ("outcome-2", "theirs"),
        ("outcome-3", "mine"),
    ]


def test_a_line_removed_by_one_goes_unless_the_other_changed_it() -> None:
    base = _rows(_outcome(1), _outcome(2), _outcome(3))
    theirs = _rows(_outcome(1), _outcome(2, text="theirs"))  # they removed 3, changed 2
    mine = _rows(_outcome(1), _outcome(3))  # I removed 2
    merged = reapply.reapplied_rows(OUTCOMES, base, theirs, mine)
    assert [r["id"] for r in merged.rows] == ["outcome-1", "outcome-2"]
    assert merged.clashes == ["Outcome 2: you removed it, they changed it, so it is still here"]

    mine = _rows(_outcome(1), _outcome(2), _outcome(3, text="mine"))  # I changed 3
    merged = reapply.reapplied_rows(OUTCOMES, base, theirs, mine)
    assert [r["id"] for r in merged.rows] == ["outcome-1", "outcome-2", "outcome-3"]
    assert merged.clashes == ["Outcome 3: they removed it, you changed it, so it is still here"]


def test_advice_lines_have_no_ids_and_are_matched_by_what_they_say() -> None:
    def advice(*said: tuple[str, str]) -> list[dict[str, Any]]:
        return lines.rows_of(ADVICE, [{"kind": k, "received_on": on} for k, on in said])

    medical, social_care = ("medical", "2027-01-01"), ("social_care", "2027-01-02")
    merged = reapply.reapplied_rows(
        ADVICE,
        advice(medical),
        advice(medical, social_care),  # they added social care's
        advice(("educational_psychology", "2027-01-03")),  # I replaced medical's
    )
    assert [r["kind"] for r in merged.rows] == ["social_care", "educational_psychology"]
    assert merged.clashes == []


def test_words_changed_by_one_are_kept_and_by_both_keep_mine() -> None:
    assert reapply.reapplied_text("old", "theirs", "old").text == "theirs"
    both = reapply.reapplied_text("old", "theirs", "mine")
    assert both.text == "mine"
    assert both.clashes == ["You both changed the words: yours are in the form"]


def test_a_failed_check_is_said_in_words_with_the_section_it_is_in() -> None:
    check = {
        "name": "provision_meets_a_need",
        "passed": False,
        "message": "outcome outcome-2: meets no need in B (need-9); "
        "F provision-3: serves no outcome in E (outcome-2)",
    }
    assert wording.problems(check) == [
        {"text": "Outcome 2: meets no need in section B (Need 9)", "section": "E"},
        {"text": "Provision 3: serves no outcome in section E (Outcome 2)", "section": "F"},
    ]
    quantities = {
        "name": "provision_is_quantified",
        "message": "G provision-1: says nothing of sessions_per_week, delivered_by",
    }
    assert wording.problems(quantities) == [
        {
            "text": "Provision 1: says nothing of sessions a week, who delivers it, and their "
            "expertise",
            "section": "G",
        }
    ]
    need = {
        "name": "every_need_has_an_outcome",
        "message": "need need-1 (SLCN) has no outcome in E",
    }
    assert wording.problems(need)[0] == {
        "text": "Need 1 (speech, language and communication needs) has no outcome in section E",
        "section": "B",
    }


def test_provision_is_said_in_one_sentence() -> None:
    assert wording.provision_sentence(_provision(1)) == (
        "Once every 2 weeks, 20 minutes each time, for 15 weeks, in a group of up to 4."
    )
    assert wording.provision_sentence(_provision(1, sessions_per_week=2, group_size=1)) == (
        "Twice a week, 20 minutes each time, for 15 weeks, one-to-one."
    )
