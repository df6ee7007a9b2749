"""Forms as the GOV.UK Design System asks: each question's answer read back from what was
posted, dates in three boxes, and every problem named twice, in the error summary at the top
(linking to the field) and beside the field itself.

The services decide what is valid (their 422 names the field with ``loc``): a form only checks
what it must to build a request (a date that is not a date), and maps the service's answer
back onto its fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from web import words
from web.pages import long_date

ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
PYDANTIC_WORDS = (
    (
        re.compile(r"^String should have at most (\d+) characters?$"),
        r"must be \1 characters or fewer",
    ),
    (re.compile(r"^String should have at least 1 character$"), "must not be empty"),
)
"""pydantic's messages for a text's length, in a person's words."""


@dataclass(frozen=True)
class Question:
    """One question of a form: its field name (as the API's body names it), its label, and
    how it is asked."""

    name: str
    label: str
    kind: str  # date, radios, checkboxes, select, textarea, text
    options: Mapping[str, str] = field(default_factory=dict)
    hint: str | None = None
    required: bool = True
    when: tuple[str, str] | None = None
    """Only asked (and sent) when another question has this answer: ``(name, value)``."""

    @property
    def anchor(self) -> str:
        """The id the error summary links to: a date's day box, a choice's first item."""
        if self.kind == "date":
            return f"{self.name}-day"
        return self.name


@dataclass
class Answers:
    """What was posted, as the form shows it again, and the problems found."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def summary(self, questions: Iterable[Question]) -> list[dict[str, str]]:
        """The error summary's list, in the order of the questions."""
        links = [
            {"text": self.errors[q.name], "href": f"#{q.anchor}"}
            for q in questions
            if q.name in self.errors
        ]
        return [{"text": text} for text in self.general] + links

    def status(self, given: int | None = None) -> int:
        """The page's status: ``given`` (a service's 409...), else 422 with a problem, else
        200."""
        return given or (422 if self.errors or self.general else 200)


def read(questions: Iterable[Question], form: Mapping[str, Any]) -> tuple[dict[str, Any], Answers]:
    """The API body the answers make, and the answers as the form shows them again.

    ``form`` is a multi-dict (``request.form()``) or a plain dict of saved answers."""
    body: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    errors: dict[str, str] = {}
    getlist = getattr(form, "getlist", None)
    for q in questions:
        if q.when is not None and form.get(q.when[0]) != q.when[1]:
            continue
        if q.kind == "date":
            parts = {
                p: str(form.get(f"{q.name}-{p}", "")).strip() for p in ("day", "month", "year")
            }
            shown[q.name] = parts
            if not any(parts.values()):
                if q.required:
                    errors[q.name] = f"Enter {q.label.lower()}"
                continue
            try:
                body[q.name] = date(
                    int(parts["year"]), int(parts["month"]), int(parts["day"])
                ).isoformat()
            except ValueError:
                errors[q.name] = f"{q.label} must be a real date"
            continue
        if q.kind == "checkboxes":
            if getlist:
                chosen = getlist(q.name)
            else:  # saved answers: one ticked box is a string, several a list
                given = form.get(q.name) or []
                chosen = [given] if isinstance(given, str) else list(given)
            chosen = [c for c in chosen if c in q.options]
            shown[q.name] = chosen
            if chosen:
                body[q.name] = chosen
            elif q.required:
                errors[q.name] = f"Select {q.label.lower()}"
            continue
        value = str(form.get(q.name, "")).strip()
        shown[q.name] = value
        if not value:
            if q.required:
                verb = "Select" if q.kind in {"radios", "select"} else "Enter"
                errors[q.name] = f"{verb} {q.label.lower()}"
            continue
        if q.options and value not in q.options:
            errors[q.name] = f"Select {q.label.lower()}"
            continue
        body[q.name] = value
    return body, Answers(shown, errors)


def shown_again(questions: Iterable[Question], saved: Mapping[str, Any]) -> Answers:
    """Saved answers (a session that ended mid-form) as the form shows them."""
    return read(questions, saved)[1]


def from_api(
    answers: Answers,
    questions: Iterable[Question],
    errors: list[tuple[tuple[Any, ...], str]],
    *,
    field_of: Callable[[tuple[Any, ...]], str | None] | None = None,
) -> Answers:
    """The service's 422 on the form's own fields (its ``loc`` is ``("body", name, ...)``, or
    what ``field_of`` maps to a field: a form whose body nests its answers)."""
    by_name = {q.name: q for q in questions}
    for loc, message in errors:
        if field_of is not None:
            name = field_of(loc)
        else:
            names = [part for part in loc if isinstance(part, str) and part != "body"]
            name = names[0] if names else None
        question = by_name.get(name) if name else None
        if question is None:
            answers.general.append(plain(message))
        else:
            answers.errors.setdefault(question.name, _about(question.label, plain(message)))
    return answers


def _about(label: str, message: str) -> str:
    """``Date of the decision must not be in the future``: a message that reads on from the
    field's name does so; any other follows it after a colon."""
    first = message.split(" ", 1)[0].lower()
    if first in {"must", "is", "cannot", "should", "needs", "has"}:
        return f"{label} {message[:1].lower()}{message[1:]}"
    return f"{label}: {message}"


def plain(detail: str) -> str:
    """A service's message in a caseworker's words: dates as ``3 March 2027``, stages and
    kinds of advice by their names, and a capital letter."""
    for said, words_ in PYDANTIC_WORDS:
        detail = said.sub(words_, detail)
    text = ISO_DATE.sub(lambda m: long_date(m.group(1)), detail)
    for table in (words.STAGES, words.ADVICE):
        for code, name in table.items():
            text = re.sub(rf"\b{re.escape(code)}\b", name.lower(), text)
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:] if text else text
