"""The DfE's validation rules the SEN2 return's data can check, per child (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import uuid4

from referrals.sen2.record import Person, Plan, Request, Review, validated

BORN = date(2018, 3, 1)


def _request(**changed: object) -> Request:
    request = Request(
        referral_id=uuid4(),
        received_on=date(2026, 1, 5),
        requested_by="parent",
        escalated=False,
        assessment_decision="assess",
        assessment_decided_on=date(2026, 2, 9),
        plan_decision="issue",
        plan_decided_on=date(2026, 2, 16),
        final_issued_on=date(2026, 5, 25),
        with_exception=False,
        mediation=False,
        named_setting_urn="107958",
    )
    return replace(request, **changed)  # type: ignore[arg-type]  # a test's chosen fields


def _plan(**changed: object) -> Plan:
    plan = Plan(
        start_on=date(2026, 5, 25),
        needs=("SLCN", "ASD"),
        setting_urn="107958",
        setting_ukprn=None,
        reviews=(),
        ceased_on=None,
        imported=False,
    )
    return replace(plan, **changed)  # type: ignore[arg-type]  # a test's chosen fields


def _person(request: Request | None = None, plan: Plan | None = None) -> Person:
    return Person(
        child_id=uuid4(),
        referral_id=uuid4(),
        upn="P938612345678",
        given_name="A",
        family_name="B",
        date_of_birth=BORN,
        postcode="LS6 2AB",
        requests=(request or _request(),),
        plan=plan or _plan(),
    )


def test_a_complete_record_in_order_has_no_problems() -> None:
    assert validated(_person()).problems == []


def test_dates_out_of_order_are_named() -> None:
    late_decision = _request(assessment_decided_on=date(2026, 6, 1))
    problems = validated(_person(late_decision)).problems
    assert (
        "requests[0].plan_decided_on",
        "before assessment_decided_on: the dates are out of order",
    ) in problems
    before_birth = validated(_person(_request(received_on=date(2017, 1, 1)))).problems
    assert before_birth[0][0] == "requests[0].received_on"


def test_needs_ranked_twice_or_not_sen2_codes_are_named() -> None:
    problems = validated(_person(plan=_plan(needs=("SLCN", "NSA", "SLCN")))).problems
    fields = [f for f, _ in problems]
    assert fields == ["plan.needs[2]", "plan.needs"]
    assert validated(_person(plan=_plan(needs=()))).problems[0][0] == "plan.needs"


def test_a_upn_with_a_wrong_check_letter_or_none_is_a_problem() -> None:
    wrong = replace(_person(), upn="Q938612345678")
    assert validated(wrong).problems == [
        ("upn", "the UPN's check letter does not match its digits")
    ]
    assert validated(replace(_person(), upn=None)).problems[0][0] == "upn"


def test_a_review_before_the_plan_and_no_setting_are_named() -> None:
    review = Review(meeting_on=None, decision="keep", decided_on=date(2026, 1, 1))
    plan = _plan(reviews=(review,), setting_urn=None)
    fields = [f for f, _ in validated(_person(plan=plan)).problems]
    assert fields == ["plan.setting", "plan.reviews[0].decided_on"]
