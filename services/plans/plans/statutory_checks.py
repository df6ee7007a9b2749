"""What the law asks of an EHC plan before it goes to the family, checked when the draft is
issued and again when the plan is finalised. Pure: each check gives its problems, in words a
caseworker can act on, and the step is refused (409) while there are any.

These are not drafting checks (``plans.checks``): a plan being written is allowed to be
unfinished; a plan issued to the family is not. Why each one:

- provision must be specified in the plan itself: a line that defers it ("an assessment, then
  a programme written for the child") is struck out by tribunals (Code of Practice 9.69);
- provision runs for the plan's period (to its review at 12 months): not 12 weeks of it;
- section G names only health provision the health commissioning body agreed (s42(3));
- every line the catalogue suggested is confirmed by a caseworker, line by line: the plan is
  built from the assessment's advice (Code of Practice 9.61), not from a need code;
- a final plan has no placeholder in C, D, H1, H2 or J, and I names a setting (by its URN or
  a type of setting); its outcomes run from its issue, never already past.
"""

from __future__ import annotations

import re
from datetime import date

from plans.document import PlanDocument, Provision

SCHOOL_YEAR_WEEKS = 38
"""A school year is 190 days (380 sessions: the Education (School Day and School Year)
(England) Regulations 1999): provision running for the plan's period runs 38 weeks or more."""

DEFERRED = re.compile(
    r"\bassess\w*\b[^.;]{0,60}?\b"
    r"(then|and advice|and (an? |the )?[\w -]{0,30}?\b(plan|programme))\b"
    r"|\bthen (a|the) [^.;]{0,40}\b(programme|plan)\b"
    r"|\bwritten for (the child|the young person|them)\b"
    r"|\bto be (agreed|decided|confirmed|set|determined)\b"
    r"|\bas (required|needed|appropriate|the \w+ advises)\b",
    re.IGNORECASE,
)
"""Words that leave the provision to be decided later, instead of saying what it is."""

PLACEHOLDER = re.compile(
    r"^\s*(to be (written|added|named)|named in the final plan"
    r"|held in the council's earlier system)",  # a plan brought in (plans.imported)
    re.I,
)
NEEDS_WRITING = ("C", "D", "H1", "H2", "J")
URN = re.compile(r"\bURN:?\s*\d{6}\b", re.IGNORECASE)
SETTING_TYPES = (
    "mainstream school",
    "mainstream primary school",
    "mainstream secondary school",
    "special school",
    "resourced provision",
    "special educational needs unit",
    "early years setting",
    "nursery",
    "further education college",
    "sixth form college",
    "school sixth form",
    "special post-16 institution",
    "alternative provision",
)
"""Types of setting section I may name when no school is named (``SETTING_TYPES`` in words a
tribunal reads: the Act's and the SEN2 return's)."""


def _lines(document: PlanDocument) -> list[tuple[str, Provision]]:
    return [("F", p) for p in document.F] + [("G", p) for p in document.G]


def provision_specified(document: PlanDocument) -> list[str]:
    return [
        f'{section} {p.id}: "{p.support}" leaves the provision to be decided later: say '
        "what the support is, as the advice received sets it out"
        for section, p in _lines(document)
        if DEFERRED.search(p.support)
    ]


def provision_for_the_plans_period(document: PlanDocument) -> list[str]:
    """A line runs for the plan's period, or is one occasion (an annual hearing review)."""
    return [
        f"{section} {p.id}: runs {p.weeks} weeks of a plan reviewed after 12 months: make it "
        f"run for the plan's period ({SCHOOL_YEAR_WEEKS} school weeks or more), or one occasion"
        for section, p in _lines(document)
        if p.weeks < SCHOOL_YEAR_WEEKS and not (p.weeks == 1 and p.sessions_per_week <= 1)
    ]


def health_provision_agreed(document: PlanDocument) -> list[str]:
    return [
        f"G {p.id}: the health commissioning body's agreement is not recorded (s42(3))"
        for p in document.G
        if p.health_agreement is None
    ]


def suggestions_confirmed(document: PlanDocument) -> list[str]:
    lines = [("E", o.id, o.suggested) for o in document.E]
    lines += [(section, p.id, p.suggested) for section, p in _lines(document)]
    return [
        f"{section} {line}: suggested by the catalogue, not yet confirmed against the advice"
        for section, line, suggested in lines
        if suggested
    ]


def sections_written(document: PlanDocument) -> list[str]:
    problems = [
        f'section {key}: still says "{(getattr(document, key) or "").strip()}": write it '
        "(or say there are none)"
        for key in NEEDS_WRITING
        if not (getattr(document, key) or "").strip()
        or PLACEHOLDER.match(getattr(document, key) or "")
    ]
    placement = (document.I or "").strip()
    if PLACEHOLDER.match(placement) or not (
        URN.search(placement) or any(t in placement.lower() for t in SETTING_TYPES)
    ):
        problems.append(
            'section I: name the school or college by its URN ("URN 107001"), or the type of '
            'setting (e.g. "a mainstream primary school")'
        )
    return problems


def outcomes_run_from_the_issue(document: PlanDocument, issued_on: date) -> list[str]:
    return [
        f"outcome {o.id}: its date {o.review_on} is not after the plan's issue on {issued_on}"
        for o in document.E
        if o.review_on <= issued_on
    ]


def before_issue(document: PlanDocument) -> list[str]:
    """What stops the draft EHC plan going to the family."""
    if document.track != "ehc":
        return [
            "this is the support plan: the EHC plan is drafted once the council decides to "
            "issue one, from the advice received"
        ]
    return [
        *suggestions_confirmed(document),
        *provision_specified(document),
        *provision_for_the_plans_period(document),
        *health_provision_agreed(document),
    ]


def before_final(document: PlanDocument, issued_on: date) -> list[str]:
    """What stops the plan being finalised on ``issued_on`` (its outcomes are dated from it
    before this runs: ``plans.ehc_plan.dated_from``)."""
    return [
        *before_issue(document),
        *sections_written(document),
        *outcomes_run_from_the_issue(document, issued_on),
    ]
