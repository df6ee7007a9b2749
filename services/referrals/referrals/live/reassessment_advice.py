"""The advice of a re-assessment (Reg 25 applies Regs 6 to 8 to a re-assessment as to an EHC
needs assessment). Pure: each step checks the re-assessment's state and returns the adviser's
limits it sets or meets.

The council seeks the advice Reg 6(1) requires (the family's, educational, medical,
psychological and social care advice for every child; from Year 9, on preparing for adulthood;
a teacher of the deaf or of the vision impaired for a hearing or vision impairment) and each
body asked gives it within 6 weeks of being asked (Reg 8). Each adviser's 6 weeks is a limit
on the re-assessment's clock (``live_plan_deadlines``, kind ``advice:<kind>``, as the EHC
clock names an adviser's), warned of by the watch every re-assessment limit has. The outcome
(the plan amended or not) waits until the advice the law requires has been sought, as the
assessment's decision whether to issue a plan does (``referrals.statutory.required_advice``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from referrals.live.reassessment import Reassessment, Stage
from referrals.statutory import (
    ADVICE_DAYS,
    EVERY_CHILDS_ADVICE,
    AdviceKind,
    InvalidStep,
    Needs,
    OutOfOrder,
    from_year_9,
    required_advice,
)

ADVICE = "advice:"
"""An adviser's limit's kind: ``advice:<kind of advice>`` (the EHC clock's names)."""


def limit(kind: AdviceKind | str) -> str:
    """The kind of the adviser's limit for advice of ``kind``."""
    return ADVICE + (kind.value if isinstance(kind, AdviceKind) else kind)


def sought(kinds: Iterable[str]) -> set[str]:
    """The kinds of advice asked for, from the re-assessment's limits' kinds."""
    return {k.removeprefix(ADVICE) for k in kinds if k.startswith(ADVICE)}


def _reassessing(reassessment: Reassessment, step: str) -> date:
    if reassessment.stage != Stage.REASSESSING:
        raise OutOfOrder(
            f"the re-assessment is {reassessment.stage.value}: {step} comes after a decision "
            "to re-assess, before its outcome"
        )
    assert reassessment.decided_on is not None  # set on the way to REASSESSING
    return reassessment.decided_on


def ask(
    reassessment: Reassessment,
    kinds: Iterable[AdviceKind],
    requested_on: date,
    already: Iterable[str],
    today: date,
) -> dict[str, date]:
    """Advice asked for on ``requested_on``: each adviser's 6 weeks (Reg 8(1)), by limit."""
    decided_on = _reassessing(reassessment, "asking for advice")
    if requested_on > today:
        raise InvalidStep("requested_on", f"must not be in the future (today is {today})")
    if requested_on < decided_on:
        raise InvalidStep("requested_on", "advice is asked for after the decision to re-assess")
    asked = list(dict.fromkeys(kinds))
    again = sorted(set(k.value for k in asked) & set(already))
    if again:
        raise OutOfOrder(f"advice already asked for in this re-assessment: {', '.join(again)}")
    due = requested_on + timedelta(ADVICE_DAYS)
    return {limit(k): due for k in asked}


def asked_on(due_on: date) -> date:
    """The day advice was asked for, from its adviser's limit (6 weeks after it)."""
    return due_on - timedelta(ADVICE_DAYS)


def receive(
    reassessment: Reassessment, kind: AdviceKind, due_on: date | None, received_on: date,
    today: date,
) -> dict[str, date]:  # fmt: skip
    """Advice received: its adviser's limit met (``due_on``: its limit, None if never asked)."""
    _reassessing(reassessment, "advice received")
    if due_on is None:
        raise OutOfOrder(f"no {kind.value} advice was asked for in this re-assessment")
    if received_on > today:
        raise InvalidStep("received_on", f"must not be in the future (today is {today})")
    if received_on < asked_on(due_on):
        raise InvalidStep("received_on", "advice is received after it was asked for")
    return {limit(kind): received_on}


def missing(needs: Needs, born: date | None, on: date, asked: Iterable[str]) -> list[str]:
    """The advice the law requires (Reg 6(1)) not yet asked for, on the outcome's day ``on``."""
    if needs:
        required = required_advice(needs[0], needs[1:], born=born, on=on)
    else:  # no need recorded: what every child's re-assessment needs, at least
        required = set(EVERY_CHILDS_ADVICE)
        if born is not None and from_year_9(born, on):
            required.add(AdviceKind.PREPARING_FOR_ADULTHOOD.value)
    return sorted(required - set(asked))
