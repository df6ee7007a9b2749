"""The EHC plan, built from the assessment. Pure.

On the EHC track the plan drafted at intake is the child's support plan (support starts at
once). The EHC plan is drafted when the council decides to issue one: every section A to K,
section K listing the advice received (with its dates and documents), and the catalogue's
outcomes and provision only as suggestions, each confirmed by a caseworker against the advice
before the draft can be issued (Code of Practice 9.61: a plan from the assessment, not from
a need code). Its outcomes run from the plan's issue to its review (or the end of the child's
phase, when that comes first), never from the request.
"""

from __future__ import annotations

import re
from datetime import date

from plans.document import HealthAgreement, Outcome, PlanDocument
from plans.structure import ehc_structure
from shared.dates import add_months

REVIEW_MONTHS = 12  # an EHC plan is reviewed at least every 12 months
_DATED = re.compile(r"^By \d{1,2} [A-Z][a-z]+ \d{4}, ")


class NoSuchLine(LookupError):
    """No line of E, F or G has that id (HTTP 404)."""


class NotSuggested(ValueError):
    """The line is not a suggestion awaiting confirmation, or not health provision (HTTP 409)."""


def support_or_ehc(document: PlanDocument) -> str:
    """What the plan is called: the support plan until the EHC plan is drafted."""
    return "EHC plan" if document.track == "ehc" else "support plan"


def drafted_from_advice(document: PlanDocument, expected_issue: date) -> PlanDocument:
    """The EHC plan drafted from the support plan and the advice listed in K: every section,
    the catalogue's lines as suggestions to confirm, outcomes dated from ``expected_issue``
    (the statutory date; dated again from the real issue when finalised)."""
    ehc = ehc_structure(document)
    suggested = ehc.model_copy(
        update={
            "E": [o.model_copy(update={"suggested": True}) for o in ehc.E],
            "F": [p.model_copy(update={"suggested": True}) for p in ehc.F],
            "G": [
                p.model_copy(update={"suggested": True, "health_agreement": None}) for p in ehc.G
            ],
        }
    )
    return dated_from(suggested, expected_issue)


def review_after(issued_on: date, phase_ends_on: date | None = None) -> date:
    """When outcomes of a plan issued on ``issued_on`` are reviewed: at its review, or the end
    of the child's phase when that comes first (and after the issue)."""
    review = add_months(issued_on, REVIEW_MONTHS)
    if phase_ends_on is not None and issued_on < phase_ends_on < review:
        return phase_ends_on
    return review


def dated_from(
    document: PlanDocument, issued_on: date, phase_ends_on: date | None = None
) -> PlanDocument:
    """Every outcome running from ``issued_on`` to the review (or the phase's end); the day
    the plan's dates run from (``drafted_on``, which the quality checks date outcomes after)
    is the issue, no longer the request."""
    until = review_after(issued_on, phase_ends_on)
    return document.model_copy(
        update={"drafted_on": issued_on, "E": [_dated(o, until) for o in document.E]}
    )


def amended_from(document: PlanDocument, issued_on: date, next_review: date) -> PlanDocument:
    """The amended plan's dates: running from its issue (``issued_on``); an outcome not
    reviewed between the issue and the plan's next review (``next_review``, within 12 months
    of the review meeting) is reviewed at it, and one the caseworker dated within keeps its
    day (an earlier review, the end of the child's phase)."""
    return document.model_copy(
        update={
            "drafted_on": issued_on,
            "E": [
                o if issued_on < o.review_on <= next_review else _dated(o, next_review)
                for o in document.E
            ],
        }
    )


def _dated(outcome: Outcome, until: date) -> Outcome:
    text = _DATED.sub(f"By {until.day} {until:%B %Y}, ", outcome.text, count=1)
    return outcome.model_copy(update={"review_on": until, "text": text})


def confirmed(document: PlanDocument, line_id: str) -> PlanDocument:
    """The plan with the suggested line ``line_id`` (in E, F or G) confirmed."""
    for key in ("E", "F", "G"):
        lines = getattr(document, key)
        for i, line in enumerate(lines):
            if line.id != line_id:
                continue
            if not line.suggested:
                raise NotSuggested(f"{key} {line_id} is not a suggestion waiting to be confirmed")
            changed = [*lines[:i], line.model_copy(update={"suggested": False}), *lines[i + 1 :]]
            return document.model_copy(update={key: changed})
    raise NoSuchLine(f"the plan has no line {line_id} in E, F or G")


def health_agreed(document: PlanDocument, line_id: str, agreement: HealthAgreement) -> PlanDocument:
    """The plan with the health commissioning body's agreement to G line ``line_id``."""
    for i, line in enumerate(document.G):
        if line.id == line_id:
            agreed = line.model_copy(update={"health_agreement": agreement})
            return document.model_copy(
                update={"G": [*document.G[:i], agreed, *document.G[i + 1 :]]}
            )
    if any(p.id == line_id for p in document.F):
        raise NotSuggested(f"F {line_id} is educational provision: the council arranges it")
    raise NoSuchLine(f"the plan has no line {line_id} in section G")
