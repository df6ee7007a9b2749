"""Quality checks over a plan's document, run when it is drafted and whenever a section is
edited. Pure: ``check(document)`` gives one result per check, always in the same order, each
with a stable name and a message a caseworker can act on. A plan with a failed check is not
published as drafted; it waits, with its results, for a caseworker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from plans.document import PlanDocument, Provision

MAX_REVIEW_AFTER = timedelta(days=366)  # outcomes are reviewed within a year (annual review)


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    passed: bool
    message: str


def _lines(document: PlanDocument) -> list[tuple[str, Provision]]:
    return [("F", p) for p in document.F] + [("G", p) for p in document.G]


def _needs_met(document: PlanDocument) -> tuple[set[str], set[str]]:
    """(needs with an outcome, needs with provision through an outcome)."""
    with_outcome = {n for o in document.E for n in o.need_ids}
    served = {o for _, p in _lines(document) for o in p.outcome_ids}
    with_provision = {n for o in document.E if o.id in served for n in o.need_ids}
    return with_outcome, with_provision


def every_need_has_an_outcome(document: PlanDocument) -> list[str]:
    with_outcome, _ = _needs_met(document)
    return [
        f"need {n.id} ({n.code}) has no outcome in E"
        for n in document.B
        if n.id not in with_outcome
    ]


def every_need_has_provision(document: PlanDocument) -> list[str]:
    _, with_provision = _needs_met(document)
    return [
        f"need {n.id} ({n.code}) has no provision in F or G meeting its outcomes"
        for n in document.B
        if n.id not in with_provision
    ]


def provision_is_quantified(document: PlanDocument) -> list[str]:
    problems = []
    for section, p in _lines(document):
        missing = [
            field
            for field, ok in (
                ("support", bool(p.support.strip())),
                ("delivered_by", bool(p.delivered_by.strip())),
                ("sessions_per_week", p.sessions_per_week > 0),
                ("minutes_per_session", p.minutes_per_session > 0),
                ("weeks", p.weeks > 0),
                ("group_size", p.group_size >= 1),
                ("where", bool(p.where.strip())),
            )
            if not ok
        ]
        if missing:
            problems.append(f"{section} {p.id}: says nothing of {', '.join(missing)}")
    return problems


def runs_from(document: PlanDocument) -> date | None:
    """The day the plan's outcomes run from: its issue (``drafted_on``, dated again when the
    plan is finalised or amended) or, while it is amended after a review, the review meeting
    (``reviewed_on``; Reg 20: reviewed within 12 months of the issue or the last review),
    whichever is later. Never the first issue of a plan amended since."""
    days = [d for d in (document.drafted_on, document.reviewed_on) if d is not None]
    return max(days, default=None)


def outcomes_are_measurable_and_dated(document: PlanDocument) -> list[str]:
    problems = []
    start = runs_from(document)
    for o in document.E:
        if not o.text.strip() or not o.measure.strip():
            problems.append(f"outcome {o.id}: needs its words and how progress is measured")
        if o.review_on is None:  # a document built without validation may lack it
            problems.append(f"outcome {o.id}: has no review date")
        elif start is not None and not (start < o.review_on <= start + MAX_REVIEW_AFTER):
            problems.append(
                f"outcome {o.id}: review date {o.review_on} is not within a year after {start}"
            )
    return problems


def provision_meets_a_need(document: PlanDocument) -> list[str]:
    outcomes = {o.id: o for o in document.E}
    needs = {n.id for n in document.B}
    problems = [
        f"outcome {o.id}: meets no need in B ({', '.join(o.need_ids) or 'none named'})"
        for o in document.E
        if not o.need_ids or not set(o.need_ids) <= needs
    ]
    for section, p in _lines(document):
        unknown = [o for o in p.outcome_ids if o not in outcomes]
        if not p.outcome_ids or unknown:
            problems.append(
                f"{section} {p.id}: serves no outcome in E ({', '.join(unknown) or 'none named'})"
            )
    return problems


def every_line_cites_a_standard(document: PlanDocument) -> list[str]:
    cited = [(o.id, o.standard_id) for o in document.E]
    cited += [(p.id, p.standard_id) for _, p in _lines(document)]
    return [f"{line}: cites no standard" for line, standard in cited if not standard.strip()]


CHECKS: dict[str, Callable[[PlanDocument], list[str]]] = {
    "every_need_has_an_outcome": every_need_has_an_outcome,
    "every_need_has_provision": every_need_has_provision,
    "provision_is_quantified": provision_is_quantified,
    "outcomes_are_measurable_and_dated": outcomes_are_measurable_and_dated,
    "provision_meets_a_need": provision_meets_a_need,
    "every_line_cites_a_standard": every_line_cites_a_standard,
}


def check(document: PlanDocument) -> list[CheckResult]:
    """Every check's result on ``document``, in ``CHECKS`` order."""
    results = []
    for name, find_problems in CHECKS.items():
        problems = find_problems(document)
        message = "; ".join(problems) if problems else "ok"
        results.append(CheckResult(name=name, passed=not problems, message=message))
    return results


def failed(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if not r.passed]
