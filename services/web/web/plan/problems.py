"""The plans service's 422 on a section's form: each problem on the row and field it belongs
to (the API numbers the lines it was sent: ``("body", "content", 1, "support")``), in a
caseworker's words ("Provision 2: sessions a week must be more than 0")."""

from __future__ import annotations

from typing import Any

from web.forms import plain
from web.plan.lines import Row, anchor, row_label
from web.plan.sections import Field, Section


def api_problems(
    section: Section, rows: list[Row], sent: list[int], errors: list[tuple[tuple[Any, ...], str]]
) -> tuple[dict[str, str], list[str]]:
    """The API's 422 on the form: each ``("body", "content", i, field)`` on its row's field
    (by anchor); the reason and a section of words on theirs; anything else (the section as
    a whole) as a general problem."""
    by_name = {f.name: f for f in section.fields}
    placed: dict[str, str] = {}
    general: list[str] = []
    for loc, message in errors:
        where = [p for p in loc if p != "body"]
        if where[:1] == ["reason"]:
            placed.setdefault("reason", _sentence(problem(REASON, message)))
        elif where[:1] == ["content"] and not section.of_lines:
            placed.setdefault("content", _sentence(problem(CONTENT, message)))
        elif (
            len(where) >= 3
            and where[0] == "content"
            and isinstance(where[1], int)
            and where[1] < len(sent)
            and where[2] in by_name
        ):
            n, f = sent[where[1]], by_name[str(where[2])]
            placed.setdefault(
                anchor(f, n), f"{row_label(section, rows[n], n)}: {problem(f, message)}"
            )
        else:
            general.append(plain(message))
    return placed, general


REASON = Field("reason", "Why you changed it", "text")
CONTENT = Field("content", "The section's words", "textarea")

_SAID = (
    ("input should be greater than or equal to ", "must be {rest} or more"),
    ("input should be greater than ", "must be more than {rest}"),
    ("input should be less than or equal to ", "must be {rest} or less"),
    ("string should have at most ", "must be at most {rest}"),
    ("input should be a valid integer", "must be a whole number"),
    ("input should be a valid number", "must be a number"),
    ("input should be a valid date", "must be a real date"),
    ("input should be ", "must be {rest}"),
)


def problem(f: Field, message: str) -> str:
    """A service's validation message about ``f`` in a caseworker's words: "enter the
    outcome", "sessions a week must be more than 0"."""
    text = message.strip().rstrip(".")
    lowered = text.lower()
    if lowered.startswith(("field required", "list should have at least 1 item")) or (
        lowered.startswith("string should have at least 1 character")
    ):
        return f.missing
    for prefix, words in _SAID:
        if lowered.startswith(prefix):
            return f"{_lower(f.label)} {words.format(rest=text[len(prefix) :])}"
    return f"{_lower(f.label)}: {plain(text)}"


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
