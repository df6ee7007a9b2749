"""A plan in a caseworker's words: its statuses, its quality checks, a provision line in one
sentence. (The plans service words the family's page and the PDF in its own module; the
workspace imports no service's code, so the few phrases both need are said here again.)"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from web import words
from web.plan.sections import SECTIONS, line_name

STATUSES = {
    "draft": ("Draft", "blue"),
    "needs_attention": ("Draft: needs attention", "red"),
    "shared": ("Shared with the family", "purple"),
    "changes_requested": ("The family asked for changes", "orange"),
    "agreed": ("Agreed", "green"),
    "issued_for_comment": ("Draft issued for the family's comments", "purple"),
    "final": ("Final", "green"),
    "review_due": ("Review due", "yellow"),
    "amendments_proposed": ("Amendments proposed to the family", "purple"),
}

CHECKS = {
    "every_need_has_an_outcome": "Every need has an outcome",
    "every_need_has_provision": "Every need has provision",
    "provision_is_quantified": "Provision is specific and quantified",
    "outcomes_are_measurable_and_dated": "Outcomes are measurable and dated",
    "provision_meets_a_need": "Outcomes and provision meet a need",
    "every_line_cites_a_standard": "Every line cites a standard or says who wrote it",
}

EDITABLE = frozenset(
    {
        "draft", "needs_attention", "changes_requested", "review_due", "issued_for_comment",
        "amendments_proposed",
    }
)  # fmt: skip
"""The statuses the plans service lets a section be changed in (it decides; the page only
offers the links then)."""

_LINE_ID = re.compile(r"\b(need|outcome|provision)-(\d+)\b")
_FIELD_NAMES = {f.name: f.label.lower() for s in SECTIONS.values() for f in s.fields}


def status(code: str) -> tuple[str, str]:
    """The status's words and its tag's colour."""
    return STATUSES.get(code, (words.say({}, code), "grey"))


def problems(check: dict[str, Any]) -> list[dict[str, str]]:
    """A failed check's problems, each in words and the section it is in (to link to):
    ``need need-1 (SLCN) has no outcome in E`` is section B's "Need 1 (speech, language and
    communication needs) has no outcome in section E"."""
    found = []
    for problem in str(check.get("message", "")).split("; "):
        section = _section_of(problem)
        text = re.sub(r"^(need|outcome) (?=(need|outcome)-)", "", problem)
        text = re.sub(r"^([FG]) (provision-)", r"\2", text)
        text = _LINE_ID.sub(lambda m: line_name(m.group(0)), text)
        text = re.sub(
            r"\(([A-Z]{2,4})\)", lambda m: f"({words.say(words.NEEDS, m.group(1)).lower()})", text
        )
        text = re.sub(r"\b(in|of) ([A-K])\b", r"\1 section \2", text)
        text = re.sub(
            r"\b[a-z]+(?:_[a-z]+)+\b",
            lambda m: _FIELD_NAMES.get(m.group(0), m.group(0).replace("_", " ")),
            text,
        )
        found.append({"text": text[:1].upper() + text[1:], "section": section})
    return found


def _section_of(problem: str) -> str:
    if problem.startswith(("F ", "G ")):
        return problem[0]
    if problem.startswith("outcome"):
        return "E"
    return "B" if problem.startswith("need") else ""


def how_often(sessions_per_week: float) -> str:
    """2 -> "twice a week"; 0.5 -> "once every 2 weeks"."""
    rate = Fraction(sessions_per_week).limit_denominator(12)
    times = {1: "once", 2: "twice"}.get(rate.numerator, f"{rate.numerator} times")
    return f"{times} a week" if rate.denominator == 1 else f"{times} every {rate.denominator} weeks"


def provision_sentence(line: dict[str, Any]) -> str:
    """The quantities of a provision line in one sentence: "Twice a week, 30 minutes each
    time, for 12 weeks, in a group of up to 4."."""
    try:
        parts = [
            how_often(float(line["sessions_per_week"])),
            f"{line['minutes_per_session']} minutes each time",
            f"for {line['weeks']} week{'s' if line['weeks'] != 1 else ''}",
            "one-to-one"
            if line["group_size"] == 1
            else f"in a group of up to {line['group_size']}",
        ]
    except (KeyError, TypeError, ValueError):
        return ""
    sentence = ", ".join(parts)
    return f"{sentence[:1].upper()}{sentence[1:]}."


def short(text: str, length: int = 70) -> str:
    """The start of a long text, for a choice's label."""
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"


def choices(section_key: str, sections: dict[str, Any]) -> dict[str, str]:
    """The lines of a section, as choices for another's lines to refer to (a need for an
    outcome to meet, an outcome for provision to serve)."""
    lines = sections.get(section_key) or []
    if section_key == "B":
        return {
            n["id"]: f"{line_name(n['id'])}: {words.say(words.NEEDS, n.get('code'))}" for n in lines
        }
    return {o["id"]: f"{line_name(o['id'])}: {short(o.get('text', ''))}" for o in lines}
