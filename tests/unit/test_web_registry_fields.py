"""The registry's form in a manager's words: lists typed with spaces become the API's lists,
and the API's validation messages become what to type, beside the field they are about."""

from __future__ import annotations

from web import forms
from web.registry import fields
from web.registry.importing import _row


def test_lists_are_typed_with_spaces_or_commas() -> None:
    body, answers = fields.body_of(
        fields.QUESTIONS,
        {
            "display_name": " Otley SLT team ",
            "kind": "team",
            "role": "speech_and_language_therapy",
            "districts": "ls21,  LS29",
            "capacity": "40",
            "languages": "EN ur",
            "councils": "",
        },
    )
    assert answers.errors == {}
    assert body["display_name"] == "Otley SLT team"
    assert body["districts"] == ["LS21", "LS29"]
    assert body["languages"] == ["en", "ur"]
    assert body["councils"] == []
    assert body["settings"] == []


def test_a_validation_librarys_message_becomes_what_to_type() -> None:
    answers = forms.Answers({})
    fields.from_api(
        answers,
        fields.QUESTIONS,
        [
            (("body", "districts", 1), "String should match pattern '^[A-Z]{1,2}[0-9][0-9A-Z]?$'"),
            (("body", "team_id"), "no team 5b1c0c4e in the registry"),
        ],
    )
    assert answers.errors["districts"] == fields.HELP["districts"]
    assert answers.errors["team_id"].startswith("Their team")  # the service's own words kept
    assert answers.summary(fields.QUESTIONS)[0]["href"] == "#team_id"


def test_an_import_problem_is_its_line_and_column() -> None:
    assert _row(("body", "line 3", "capacity"), "Input should be a valid integer") == {
        "line": "3",
        "column": "capacity",
        "why": fields.HELP["capacity"],
    }
    assert _row(("body", "line 1", "header"), "missing columns ['id']") == {
        "line": "1",
        "column": "header",
        "why": "missing columns ['id']",
    }
    assert _row(("body", "csv"), "not UTF-8 text") == {
        "line": None,
        "column": None,
        "why": "not UTF-8 text",
    }
