"""A plan's sections as the workspace shows and asks them: their letters and names (Reg 12 of
the SEND Regulations 2014), and, for a section of lines (needs, outcomes, provision, advice),
the questions each line asks.

The shapes are the plans API's (its plan document: ``GET /v1/referrals/{id}/plan``'s
``sections``); the workspace does not import the plans service, so the fields are named here,
as the API names them, and the API stays the judge of what is valid.

(Longer than most modules: mostly the table of sections, one entry a section, read as a list.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.specialisms import SPECIALISM_TITLES
from web import words

SUPPORT_SECTIONS = ("A", "B", "E", "F", "G")
"""A support plan's sections (the API refuses the others on the support track)."""

EHC_SECTIONS = ("A", "B", "C", "D", "E", "F", "G", "H1", "H2", "I", "J", "K")

AREAS = {
    "communication and interaction": "Communication and interaction",
    "cognition and learning": "Cognition and learning",
    "social, emotional and mental health": "Social, emotional and mental health",
    "sensory and/or physical": "Sensory and/or physical",
}

ROLES = {
    "": "No particular specialist",
    **{r.value: t.capitalize() for r, t in SPECIALISM_TITLES.items()},
}


@dataclass(frozen=True)
class Field:
    """One question about a line: its name in the API's line, its label and how it is asked
    (text, textarea, number, date, select, flag (a yes/no checkbox), or lines: checkboxes of
    another section's lines, ``of``)."""

    name: str
    label: str
    kind: str
    hint: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    of: str | None = None
    optional: bool = False
    width: str = ""

    @property
    def missing(self) -> str:
        """What to do when it is not answered: "select the needs it meets"."""
        verb = "select" if self.kind in ("lines", "select", "flag") else "enter"
        return f"{verb} {self.label[:1].lower()}{self.label[1:]}"


@dataclass(frozen=True)
class Section:
    """A section: its letter, its name in the law, what it holds in plain words, and for a
    section of lines, what one line is called and asks."""

    key: str
    name: str
    about: str
    line: str | None = None
    """What one line is called ("outcome"); None for a section of words."""
    fields: tuple[Field, ...] = ()
    numbered: bool = True
    """Lines have ids (``outcome-2``) other sections refer to; advice (K) has none."""

    @property
    def of_lines(self) -> bool:
        return self.line is not None


_PROVISION = (
    Field("outcome_ids", "The outcomes it serves", "lines", of="E", hint="Select all that apply."),
    Field("support", "Type of support", "textarea", hint="For example, a language programme."),
    Field(
        "delivered_by",
        "Who delivers it, and their expertise",
        "textarea",
        hint="For example, a teaching assistant trained and supervised by a speech and "
        "language therapist.",
    ),
    Field("role", "The specialist it needs", "select", options=ROLES, optional=True),
    Field(
        "sessions_per_week",
        "Sessions a week",
        "number",
        hint="0.5 is once every 2 weeks.",
        width="govuk-input--width-4",
    ),
    Field("minutes_per_session", "Minutes a session", "number", width="govuk-input--width-4"),
    Field("weeks", "For how many weeks", "number", width="govuk-input--width-4"),
    Field(
        "group_size", "Group size", "number", hint="1 for one-to-one.", width="govuk-input--width-4"
    ),
    Field("where", "Where", "text", hint="For example, in class, or a quiet room at school."),
)

SECTIONS: dict[str, Section] = {
    s.key: s
    for s in (
        Section("A", "Views, interests and aspirations", "What the child and family told us"),
        Section(
            "B",
            "Special educational needs",
            "What the child finds hard, need by need",
            line="need",
            fields=(
                Field("code", "Need", "select", options=words.NEEDS),
                Field("area", "Area of need", "select", options=AREAS),
                Field("primary", "This is the primary need", "flag"),
                Field(
                    "description",
                    "Description",
                    "textarea",
                    hint="In plain English, for a parent to read.",
                ),
                Field(
                    "in_the_referrers_words", "In the referrer's words", "textarea", optional=True
                ),
            ),
        ),
        Section("C", "Health needs", "Health needs related to the special educational needs"),
        Section("D", "Social care needs", "Social care needs related to them"),
        Section(
            "E",
            "Outcomes",
            "What the support should achieve: specific, measurable and dated",
            line="outcome",
            fields=(
                Field(
                    "need_ids", "The needs it meets", "lines", of="B", hint="Select all that apply."
                ),
                Field(
                    "text",
                    "Outcome",
                    "textarea",
                    hint="For example, by July 2027, Sam asks for help in class using 3-word "
                    "phrases.",
                ),
                Field(
                    "measure",
                    "How progress is measured",
                    "text",
                    hint="For example, termly observation.",
                ),
                Field(
                    "review_on",
                    "Review date",
                    "date",
                    hint="Within a year. For example, 27 3 2027.",
                ),
            ),
        ),
        Section(
            "F",
            "Special educational provision",
            "The help at school, specific and quantified",
            line="provision",
            fields=_PROVISION,
        ),
        Section(
            "G",
            "Health provision",
            "Health care the NHS provides",
            line="provision",
            fields=_PROVISION,
        ),
        Section(
            "H1",
            "Social care provision (under the Chronically Sick and Disabled Persons Act 1970)",
            "Social care the council must provide",
        ),
        Section("H2", "Other social care provision", "Other social care that meets a need"),
        Section("I", "Placement", "The school or setting named"),
        Section("J", "Personal budget", "Any personal budget and how it is used"),
        Section(
            "K",
            "Advice and information",
            "The advice the plan was built from",
            line="advice",
            numbered=False,
            fields=(
                Field("kind", "Advice from", "select", options=words.ADVICE),
                Field("received_on", "Date received", "date"),
                Field("needs", "Needs found", "textarea", optional=True),
                Field("outcomes_sought", "Outcomes sought", "textarea", optional=True),
                Field("provision_recommended", "Provision recommended", "textarea", optional=True),
            ),
        ),
    )
}


def document_track(plan: dict[str, Any]) -> str:
    """Which plan it is: on the EHC track the plan is the child's support plan until the
    council decides to issue an EHC plan, which plans then drafts (its document's track)."""
    return str(plan["sections"].get("track") or plan["track"])


def shown(plan: dict[str, Any]) -> tuple[str, ...]:
    """The sections the plan page shows: its own, and on the EHC track the advice received so
    far (K) while the plan is still the support plan (read only: it is the EHC plan's)."""
    keys = sections_of(document_track(plan))
    if "K" not in keys and plan["sections"].get("K"):
        return (*keys, "K")
    return keys


def sections_of(track: str) -> tuple[str, ...]:
    """The section letters a plan on ``track`` has, in order."""
    return EHC_SECTIONS if track == "ehc" else SUPPORT_SECTIONS


def line_name(line_id: str) -> str:
    """``outcome-2`` as "Outcome 2" (a line's id as the plan refers to it)."""
    kind, _, number = line_id.rpartition("-")
    return f"{kind.capitalize()} {number}" if kind and number.isdigit() else line_id
