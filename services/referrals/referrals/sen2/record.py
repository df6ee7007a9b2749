"""A child's record in the SEN2 return, as the platform holds it, and the DfE's validation
rules the data can check. Pure: the SQL is in ``store``, the collection's structure in
``mapping``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from referrals.reports import share
from referrals.sen2.upn import upn_problem
from shared.events import Sen2Need

SEN2_NEEDS: frozenset[str] = frozenset(need.value for need in Sen2Need)


@dataclass(frozen=True)
class Request:
    """An EHC needs assessment request and what became of it (``ehc_requests``)."""

    referral_id: UUID
    received_on: date
    requested_by: str
    escalated: bool
    assessment_decision: str | None
    assessment_decided_on: date | None
    plan_decision: str | None
    plan_decided_on: date | None
    final_issued_on: date | None
    with_exception: bool
    mediation: bool
    named_setting_urn: str | None


@dataclass(frozen=True)
class Review:
    """An annual review decided (``annual_reviews``)."""

    meeting_on: date | None
    decision: str
    decided_on: date


@dataclass(frozen=True)
class Plan:
    """The plan in force: one the platform issued (its final date) or one brought in."""

    start_on: date
    needs: tuple[str, ...]
    """SEN2 need codes in rank order: the first is the primary need."""
    setting_urn: str | None
    setting_ukprn: str | None
    reviews: tuple[Review, ...]
    ceased_on: date | None
    """The day the plan ceased: the time to appeal a decision to cease passed with no appeal,
    or the appeal was dismissed (s45(4)); None while it is maintained."""
    imported: bool
    cease_reason: str | None = None
    """Why it ceased (``shared.events.CeaseReason``, the platform's code)."""
    transferred_from: str | None = None
    """The old council's ONS code, for a plan transferred in (Reg 15)."""


@dataclass(frozen=True)
class Person:
    """One child or young person in the return (ids only leave this module in problems)."""

    child_id: UUID
    referral_id: UUID
    upn: str | None
    given_name: str
    family_name: str
    date_of_birth: date
    postcode: str
    requests: tuple[Request, ...]
    plan: Plan | None
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(field, why) for each validation rule this record breaks: ``validated`` fills it."""


def validated(person: Person) -> Person:
    """The person with the problems the DfE's rules would find in the data we can check."""
    found: list[tuple[str, str]] = []
    if person.upn is None:
        found.append(("upn", "no UPN recorded: add it to the child, or give the reason"))
    elif (why := upn_problem(person.upn)) is not None:
        found.append(("upn", why))
    for n, request in enumerate(person.requests):
        found.extend((f"requests[{n}].{f}", why) for f, why in _request_problems(person, request))
    if person.plan is not None:
        found.extend((f"plan.{f}", why) for f, why in _plan_problems(person.plan))
    return Person(**{**person.__dict__, "problems": found})


def _request_problems(person: Person, r: Request) -> Iterable[tuple[str, str]]:
    if r.received_on < person.date_of_birth:
        yield "received_on", "the request is dated before the child's birth"
    steps = [
        ("received_on", r.received_on),
        ("assessment_decided_on", r.assessment_decided_on),
        ("plan_decided_on", r.plan_decided_on),
        ("final_issued_on", r.final_issued_on),
    ]
    latest: tuple[str, date] | None = None
    for name, day in steps:
        if day is None:
            continue
        if latest is not None and day < latest[1]:
            yield name, f"before {latest[0]}: the dates are out of order"
        latest = (name, day)
    if r.final_issued_on is not None and r.plan_decision != "issue":
        yield "final_issued_on", "a final plan without a decision to issue one"


def _plan_problems(plan: Plan) -> Iterable[tuple[str, str]]:
    if not plan.needs:
        yield "needs", "a plan names at least one need (the primary need, rank 1)"
    for rank, need in enumerate(plan.needs, start=1):
        if need not in SEN2_NEEDS:
            yield f"needs[{rank}]", f"not an SEN2 need code: one of {sorted(SEN2_NEEDS)}"
    if len(set(plan.needs)) != len(plan.needs):
        yield "needs", "a need is ranked twice: each once, ranked 1, 2, 3 without gaps"
    if plan.setting_urn is None and plan.setting_ukprn is None:
        yield "setting", "no named setting (URN or UKPRN)"
    for n, review in enumerate(plan.reviews):
        if review.decided_on < plan.start_on:
            yield f"reviews[{n}].decided_on", "a review decided before the plan started"
    if plan.ceased_on is not None and plan.ceased_on < plan.start_on:
        yield "ceased_on", "ceased before the plan started"


@dataclass(frozen=True)
class Totals:
    """The figures the timeliness report also gives for the same calendar year (requests by
    the day received; plans by the day issued), so the two can be checked against each other."""

    requests_received: int
    refusals_to_assess: int
    assessments_agreed: int
    decisions_not_to_issue: int
    final_plans_issued: int
    within_20_weeks_including_exceptions: int
    within_20_weeks_excluding_exceptions: int
    plans_excluding_exceptions: int


def totals(people: Sequence[Person], first: date, last: date) -> Totals:
    requests = [r for p in people for r in p.requests]
    received = [r for r in requests if first <= r.received_on <= last]
    issued = [
        r for r in requests if r.final_issued_on is not None and first <= r.final_issued_on <= last
    ]
    plain = [r for r in issued if not r.with_exception]
    return Totals(
        requests_received=len(received),
        refusals_to_assess=sum(r.assessment_decision == "refuse" for r in received),
        assessments_agreed=sum(r.assessment_decision == "assess" for r in received),
        decisions_not_to_issue=sum(r.plan_decision == "not_issue" for r in received),
        final_plans_issued=len(issued),
        within_20_weeks_including_exceptions=share(_dates(issued))[0],
        within_20_weeks_excluding_exceptions=share(_dates(plain))[0],
        plans_excluding_exceptions=len(plain),
    )


def _dates(requests: Iterable[Request]) -> list[tuple[date, date]]:
    return [(r.received_on, r.final_issued_on) for r in requests if r.final_issued_on is not None]
