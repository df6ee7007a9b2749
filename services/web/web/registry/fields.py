"""A registry entry's form: its questions, the API body they make (lists typed with spaces),
and the API's answers about each field in a manager's words. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from web import forms, words
from web.forms import Question

LISTS = ("councils", "districts", "settings", "languages")

QUESTIONS = (
    Question("display_name", "Name", "text", hint="For example, Leeds North SLT team."),
    Question(
        "kind",
        "Is it a team or one practitioner?",
        "radios",
        options={"team": "A team", "practitioner": "One practitioner"},
    ),
    Question(
        "team_id",
        "Their team",
        "select",
        required=False,
        hint="For a practitioner who belongs to one of the council's teams.",
    ),
    Question("role", "Kind of specialist", "select", options=words.ROLES),
    Question(
        "districts",
        "Postcode districts it works in",
        "text",
        hint="Separated by spaces, for example LS6 LS7 LS16.",
    ),
    Question(
        "capacity",
        "Caseload capacity, in weighted places",
        "number",
        hint="A support referral takes 1 place, an EHC one 2, and profound or multi-sensory "
        "needs 1 more.",
    ),
    Question(
        "councils",
        "Councils it serves",
        "text",
        required=False,
        hint="ONS codes separated by spaces, for example E08000035 E08000032. Leave it empty "
        "for the commissioning council only. Another council is served once its managers "
        "agree.",
    ),
    Question(
        "settings",
        "Schools and settings it visits",
        "text",
        required=False,
        hint="Their 6-digit URNs, separated by spaces.",
    ),
    Question(
        "languages",
        "Languages spoken",
        "text",
        hint="Codes separated by spaces, for example en ur pa.",
    ),
    Question(
        "working_pattern",
        "Working pattern",
        "text",
        required=False,
        hint="For example, Mon-Fri, term time.",
    ),
    Question(
        "email",
        "Its email address",
        "text",
        required=False,
        hint="The team's own mailbox, told of each child allocated to it, for example "
        "slt.north@leeds.example.org.",
    ),
)

HELP = {
    "districts": "Postcode districts must be like LS6 or BD10, separated by spaces",
    "councils": "Councils must be ONS codes like E08000035, separated by spaces",
    "settings": "Schools and settings must be 6-digit URNs, separated by spaces",
    "languages": "Languages must be 2 or 3 letter codes like en or ur, separated by spaces",
    "capacity": "Capacity must be a whole number from 0 to 100000",
    "display_name": "Name must be 120 characters or fewer, without < or >",
    "working_pattern": "Working pattern must be 200 characters or fewer, without < or >",
    "email": "Enter an email address like slt.north@leeds.example.org",
}
"""What to say when the API's own message is a validation library's (``String should match
pattern ...``): it names the rule, not what to type."""

_SPLIT = re.compile(r"[\s,;]+")


def body_of(
    questions: tuple[Question, ...], form: Mapping[str, Any]
) -> tuple[dict[str, Any], forms.Answers]:
    """The entry's fields as the API takes them (lists from text with spaces or commas,
    ``LS6`` in capitals), and the answers as the form shows them again."""
    body, answers = forms.read(questions, form)
    for name in LISTS:
        text = str(body.get(name, ""))
        items = [i for i in _SPLIT.split(text) if i]
        if name in ("districts",):
            items = [i.upper() for i in items]
        if name == "languages":
            items = [i.lower() for i in items]
        body[name] = items
    return body, answers


def from_api(
    answers: forms.Answers,
    questions: tuple[Question, ...],
    errors: list[tuple[tuple[Any, ...], str]],
) -> None:
    """The API's 422 beside each field, in words a manager can act on."""
    names = {q.name for q in questions}
    plain: list[tuple[tuple[Any, ...], str]] = []
    for loc, message in errors:
        field = next((p for p in loc if isinstance(p, str) and p != "body"), None)
        if field in HELP and message[:1].isupper():
            answers.errors.setdefault(field, HELP[field])
        elif field in names or field is None:
            plain.append((loc, message))
        else:
            answers.general.append(forms.plain(f"{field}: {message}"))
    forms.from_api(answers, questions, plain)


def shown(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A stored entry as its change form's answers."""
    values: dict[str, Any] = {
        name: " ".join(entry.get(name) or []) if name in LISTS else entry.get(name)
        for name in (q.name for q in QUESTIONS)
    }
    values["capacity"] = str(entry.get("capacity", ""))
    values["team_id"] = entry.get("team_id") or ""
    return values
