import time
from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from referrals.reports import by_weeks_elapsed, share
from referrals.statutory import (
    AdviceKind,
    Deadline,
    EhcRequest,
    InvalidStep,
    OutOfOrder,
    Stage,
    StatutoryException,
    count_days,
    deadline_dates,
    from_year_9,
    required_advice,
    warning_due,
)

from shared.dates import add_months
from shared.events import Sen2Need

REQUESTED = date(2026, 1, 5)
EVERY_CHILDS_ADVICE = ["parent", "educational", "educational_psychology", "medical", "social_care"]
TODAY = date(2026, 12, 31)


def _request() -> EhcRequest:
    return EhcRequest(
        referral_id=uuid4(),
        local_authority="E08000035",
        requested_on=REQUESTED,
        requested_by="parent",
        escalated=False,
    )


def test_an_exception_stops_the_clock_for_its_days() -> None:
    closed = StatutoryException("school_closure", date(2026, 1, 10), date(2026, 2, 6))  # 28 days
    dates = deadline_dates(REQUESTED, [closed])
    assert dates[Deadline.DECISION] == (date(2026, 2, 16), date(2026, 3, 16))
    assert dates[Deadline.FINAL_PLAN] == (date(2026, 5, 25), date(2026, 6, 22))
    assert dates[Deadline.DRAFT_PLAN][1] == date(2026, 6, 22) - timedelta(15)


def test_an_exception_after_a_deadline_does_not_move_it() -> None:
    away = StatutoryException("family_away", date(2026, 3, 1), date(2026, 4, 30))
    dates = deadline_dates(REQUESTED, [away])
    assert dates[Deadline.DECISION] == (date(2026, 2, 16), date(2026, 2, 16))
    assert dates[Deadline.FINAL_PLAN][1] == date(2026, 5, 25) + timedelta(61)


def test_overlapping_exceptions_count_each_day_once() -> None:
    first = StatutoryException("personal_circumstances", date(2026, 1, 10), date(2026, 1, 19))
    second = StatutoryException("personal_circumstances", date(2026, 1, 15), date(2026, 1, 24))
    assert count_days(REQUESTED, 42, [first, second]) == date(2026, 2, 16) + timedelta(15)


def _paused_day_by_day(start: date, days: int, exceptions: list[StatutoryException]) -> date:
    """The clock as the regulations read: day by day, skipping each day an exception ran."""
    paused = {
        e.starts_on + timedelta(n)
        for e in exceptions
        for n in range((e.ends_on - e.starts_on).days + 1)
    }
    day, counted = start, 0
    while counted < days:
        day += timedelta(1)
        counted += day not in paused
    return day


_SPANS = st.lists(
    st.tuples(st.integers(-40, 200), st.integers(0, 60)).map(
        lambda s: StatutoryException(
            "personal_circumstances",
            REQUESTED + timedelta(s[0]),
            REQUESTED + timedelta(s[0] + s[1]),
        )
    ),
    max_size=5,
)


@given(days=st.sampled_from([0, 1, 42, 112, 140]), exceptions=_SPANS)
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
def test_counting_days_around_exceptions_is_the_day_by_day_count(
    days: int, exceptions: list[StatutoryException]
) -> None:
    assert count_days(REQUESTED, days, exceptions) == _paused_day_by_day(
        REQUESTED, days, exceptions
    )


def test_exceptions_are_counted_by_their_spans_not_day_by_day() -> None:
    started = time.process_time()
    year = StatutoryException("family_away", date(2026, 1, 6), date(2027, 1, 5))
    decades = StatutoryException("family_away", date(2026, 1, 6), date(2075, 12, 31))
    for _ in range(200):
        assert count_days(REQUESTED, 140, [year, year]) == date(2026, 5, 25) + timedelta(365)
        assert count_days(REQUESTED, 1, [decades]) == date(2076, 1, 1)
    assert time.process_time() - started < 1  # a day at a time, this took seconds


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "field", "words"),
    [
        (date(2025, 12, 7), date(2026, 2, 1), "starts_on", "2025-12-08"),  # 4 weeks + 1 day before
        (date(2025, 1, 1), date(9999, 12, 31), "starts_on", "before"),
        (date(2026, 2, 1), date(9999, 12, 31), "ends_on", "2027-12-31"),  # a year from today
        (date(2026, 2, 1), date(2026, 1, 31), "ends_on", "on or after"),
        (date(2026, 1, 6), date(2027, 1, 7), "ends_on", "at most a year"),
    ],
)
def test_exception_dates_are_bounded(
    starts_on: date, ends_on: date, field: str, words: str
) -> None:
    away = StatutoryException("family_away", starts_on, ends_on)
    with pytest.raises(InvalidStep, match=words) as refused:
        _request().add_exception(away, TODAY)
    assert refused.value.field == field


def test_an_exception_may_begin_up_to_4_weeks_before_the_request() -> None:
    closed = StatutoryException("school_closure", date(2025, 12, 8), date(2026, 1, 31))
    request = _request().add_exception(closed, TODAY, head_teacher_asked_on=date(2026, 1, 20))
    assert request.due(Deadline.DECISION) == date(2026, 2, 16) + timedelta(26)  # 6 Jan to 31 Jan
    year = StatutoryException("family_away", date(2026, 1, 6), date(2027, 1, 6))  # a year
    assert _request().add_exception(year, TODAY).exceptions == (year,)


def test_a_short_school_closure_is_no_exception() -> None:
    with pytest.raises(InvalidStep, match="4 weeks"):
        _request().add_exception(
            StatutoryException("school_closure", date(2026, 1, 10), date(2026, 1, 20)), TODAY
        )


def test_the_whole_process_in_order_and_on_time() -> None:
    request = _request()
    started = request.started()
    assert (started.decision_due, started.final_plan_due) == (date(2026, 2, 16), date(2026, 5, 25))
    request, decided = request.decide_assessment("assess", date(2026, 2, 10), None, TODAY)
    assert (request.stage, decided.on_time, decided.appeal_by) == (Stage.ASSESSING, True, None)
    advice = request.request_advice(
        [AdviceKind.EDUCATIONAL_PSYCHOLOGY, AdviceKind.MEDICAL], date(2026, 2, 11), [], TODAY
    )
    assert advice.due_on == date(2026, 3, 25)
    received = request.receive_advice(
        AdviceKind.MEDICAL, date(2026, 2, 11), date(2026, 3, 26), TODAY
    )
    assert received.on_time is False
    request, plan = request.decide_plan(
        "issue", date(2026, 4, 1), None, EVERY_CHILDS_ADVICE, (Sen2Need.SLCN,), TODAY
    )
    assert plan.not_issue_due == date(2026, 4, 27)
    request, draft = request.issue_draft(date(2026, 4, 10), None, TODAY)
    assert draft.comments_due == date(2026, 4, 25)
    with pytest.raises(InvalidStep, match="before the family's comments"):
        request.issue_final(date(2026, 4, 20), TODAY)
    request, final = request.issue_final(date(2026, 5, 20), TODAY)
    assert (request.stage, final.within_20_weeks, final.appeal_by) == (
        Stage.FINAL_PLAN_ISSUED,
        True,
        date(2026, 7, 20),
    )


def test_steps_out_of_order_are_refused() -> None:
    request = _request()
    with pytest.raises(OutOfOrder, match="a final plan"):
        request.issue_final(date(2026, 2, 1), TODAY)
    with pytest.raises(OutOfOrder, match="advice"):
        request.request_advice([AdviceKind.MEDICAL], date(2026, 2, 1), [], TODAY)
    refused, event = request.decide_assessment(
        "refuse", date(2026, 2, 20), "needs_met_from_available_provision", TODAY
    )
    assert (event.on_time, event.appeal_by) == (False, date(2026, 4, 20))
    with pytest.raises(OutOfOrder, match="assessment_refused"):
        refused.add_exception(
            StatutoryException("personal_circumstances", date(2026, 1, 6), date(2026, 1, 7)),
            TODAY,
        )


def test_a_refusal_needs_a_reason_and_dates_are_never_in_the_future() -> None:
    with pytest.raises(InvalidStep, match="reason"):
        _request().decide_assessment("refuse", date(2026, 2, 1), None, TODAY)
    with pytest.raises(InvalidStep, match="future"):
        _request().decide_assessment("assess", date(2026, 2, 1), None, date(2026, 1, 31))
    with pytest.raises(InvalidStep, match="before the request"):
        _request().decide_assessment("assess", date(2026, 1, 4), None, TODAY)


def test_a_plan_decision_needs_the_advice_the_law_requires() -> None:
    assessing, _ = _request().decide_assessment("assess", date(2026, 2, 1), None, TODAY)
    with pytest.raises(OutOfOrder, match="teacher_of_the_deaf"):
        assessing.decide_plan(
            "issue", date(2026, 3, 1), None, EVERY_CHILDS_ADVICE, (Sen2Need.HI,), TODAY
        )
    with pytest.raises(OutOfOrder, match=r"\['educational', 'medical', 'parent', 'social_care'\]"):
        assessing.decide_plan(
            "issue", date(2026, 3, 1), None, ["educational_psychology"], (Sen2Need.SLCN,), TODAY
        )
    decided, _ = assessing.decide_plan(
        "issue", date(2026, 3, 1), None, EVERY_CHILDS_ADVICE, (Sen2Need.SLCN,), TODAY
    )
    assert decided.stage == Stage.PLAN_TO_BE_ISSUED


@pytest.mark.parametrize(
    ("primary", "secondary", "teachers"),
    [
        (Sen2Need.SLCN, (), set()),
        (Sen2Need.ASD, (Sen2Need.SEMH,), set()),
        (Sen2Need.HI, (), {"teacher_of_the_deaf"}),
        (Sen2Need.VI, (), {"teacher_of_vision_impaired"}),
        (Sen2Need.MSI, (), {"teacher_of_the_deaf", "teacher_of_vision_impaired"}),
        (Sen2Need.ASD, (Sen2Need.HI,), {"teacher_of_the_deaf"}),  # a secondary need counts too
        (Sen2Need.PD, (Sen2Need.SEMH, Sen2Need.VI), {"teacher_of_vision_impaired"}),
        (Sen2Need.SLD, (Sen2Need.MSI,), {"teacher_of_the_deaf", "teacher_of_vision_impaired"}),
    ],
)
def test_the_advice_required_follows_every_need_of_the_child(
    primary: Sen2Need, secondary: tuple[Sen2Need, ...], teachers: set[str]
) -> None:
    # Reg 6(1): the family's, the head teacher's, medical, an educational psychologist's and
    # social care advice for every child.
    assert required_advice(primary, secondary) == set(EVERY_CHILDS_ADVICE) | teachers


def test_every_child_needs_the_familys_and_the_head_teachers_advice_too() -> None:
    """Reg 6(1)(a) and (b): a decision whether to issue is refused until the family's advice
    and educational advice from the head teacher have been sought."""
    assessing, _ = _request().decide_assessment("assess", date(2026, 2, 1), None, TODAY)
    without = ["educational_psychology", "medical", "social_care"]
    with pytest.raises(OutOfOrder, match=r"\['educational', 'parent'\]"):
        assessing.decide_plan("issue", date(2026, 3, 1), None, without, (Sen2Need.SLCN,), TODAY)


@pytest.mark.parametrize(
    ("born", "on", "year_9"),
    [
        (date(2012, 8, 31), date(2025, 9, 1), True),  # 13 on 31 August 2025: Year 9
        (date(2012, 9, 1), date(2025, 9, 1), False),  # 12 then: Year 8
        (date(2012, 9, 1), date(2026, 8, 31), False),  # still Year 8 in August
        (date(2012, 9, 1), date(2026, 9, 1), True),  # Year 9 from September
        (date(2004, 1, 1), date(2026, 3, 1), True),  # a young person
    ],
)
def test_preparing_for_adulthood_advice_is_required_from_year_9(
    born: date, on: date, year_9: bool
) -> None:
    """Reg 6(1)(g): from Year 9, advice on preparing for adulthood and independent living."""
    assert from_year_9(born, on) is year_9
    needed = required_advice(Sen2Need.SLCN, born=born, on=on)
    assert ("preparing_for_adulthood" in needed) is year_9
    request = replace(_request(), born=born, requested_on=on - timedelta(days=30))
    assessing, _ = request.decide_assessment("assess", on - timedelta(days=1), None, TODAY)
    if year_9:
        with pytest.raises(OutOfOrder, match="preparing_for_adulthood"):
            assessing.decide_plan("issue", on, None, EVERY_CHILDS_ADVICE, (Sen2Need.SLCN,), TODAY)
    else:
        assessing.decide_plan("issue", on, None, EVERY_CHILDS_ADVICE, (Sen2Need.SLCN,), TODAY)


CLOSED = StatutoryException("school_closure", date(2026, 2, 2), date(2026, 3, 8))
"""Closed 2 February to 8 March (re-opens 9 March)."""


@pytest.mark.parametrize(
    ("asked_on", "excused"),
    [
        (None, False),  # the head teacher was never asked
        (date(2026, 1, 25), False),  # 8 days before the closure
        (date(2026, 1, 26), True),  # a week before
        (date(2026, 3, 2), True),  # a week before it re-opens
        (date(2026, 3, 3), False),  # less than a week before it re-opens
    ],
)
def test_a_school_closure_excuses_only_when_the_head_teacher_was_asked_in_its_window(
    asked_on: date | None, excused: bool
) -> None:
    """Regs 5(4)(a), 10(4)(a), 13(3)(a): advice asked of the head teacher from a week before
    the closure to a week before the school re-opens."""
    if excused:
        request = _request().add_exception(CLOSED, TODAY, head_teacher_asked_on=asked_on)
        assert request.exceptions == (CLOSED,)
    else:
        with pytest.raises(InvalidStep, match="head teacher") as refused:
            _request().add_exception(CLOSED, TODAY, head_teacher_asked_on=asked_on)
        assert refused.value.field == "kind"


def test_the_family_has_at_least_15_days_for_comments() -> None:
    request, _ = _request().decide_assessment("assess", date(2026, 2, 1), None, TODAY)
    request, _ = request.decide_plan(
        "issue", date(2026, 3, 1), None, EVERY_CHILDS_ADVICE, (Sen2Need.SLCN,), TODAY
    )
    with pytest.raises(InvalidStep, match="15 days"):
        request.issue_draft(date(2026, 3, 2), date(2026, 3, 16), TODAY)


def test_the_final_plan_may_follow_early_when_the_family_has_no_more_comments() -> None:
    request, _ = _request().decide_assessment("assess", date(2026, 2, 1), None, TODAY)
    request, _ = request.decide_plan(
        "issue", date(2026, 3, 1), None, EVERY_CHILDS_ADVICE, (Sen2Need.SLCN,), TODAY
    )
    request, draft = request.issue_draft(date(2026, 3, 2), None, TODAY)
    assert draft.comments_due == date(2026, 3, 17)
    with pytest.raises(InvalidStep, match="before the family's comments"):
        request.issue_final(date(2026, 3, 10), TODAY)
    with pytest.raises(InvalidStep, match="before the draft"):
        request.issue_final(date(2026, 3, 1), TODAY, comments_closed_early=True)
    request, final = request.issue_final(date(2026, 3, 10), TODAY, comments_closed_early=True)
    assert (request.stage, final.issued_on) == (Stage.FINAL_PLAN_ISSUED, date(2026, 3, 10))


def test_appeal_dates_fall_back_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2025, 12, 31), 2) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)


@pytest.mark.parametrize(
    ("today", "at_risk_sent", "missed_sent", "expected"),
    [
        (date(2026, 2, 5), False, False, None),  # 11 days before
        (date(2026, 2, 6), False, False, "at_risk"),  # 10 days before
        (date(2026, 2, 16), False, False, "at_risk"),  # the day itself
        (date(2026, 2, 16), True, False, None),
        (date(2026, 2, 17), True, False, "missed"),
        (date(2026, 3, 30), False, False, "missed"),  # after downtime: the miss only
        (date(2026, 3, 30), True, True, None),
    ],
)
def test_a_deadline_is_at_risk_then_missed_once_each(
    today: date, at_risk_sent: bool, missed_sent: bool, expected: str | None
) -> None:
    due = date(2026, 2, 16)
    got = warning_due(due, today, 10, at_risk_sent=at_risk_sent, missed_sent=missed_sent)
    assert got == expected


def test_sen2_counts_plans_within_20_weeks_and_open_requests_by_weeks() -> None:
    plans = [(REQUESTED, date(2026, 5, 25)), (REQUESTED, date(2026, 5, 26))]
    assert share(plans) == (1, 2, 50.0)
    assert share([]) == (0, 0, None)
    as_at = date(2026, 12, 31)
    waits = [as_at - timedelta(weeks=w) for w in (0, 5, 6, 19, 20, 30, 52, 60)]
    assert by_weeks_elapsed(waits, as_at) == {
        "0-6": 2,
        "6-16": 1,
        "16-20": 1,
        "20-26": 1,
        "26-52": 1,
        "52+": 2,
    }


def test_existing_advice_counts_as_sought_when_its_giver_the_council_and_family_agree() -> None:
    """Reg 6(4): advice of kinds (b) to (h) given before may be used instead of seeking it
    afresh; the decision whether to issue is then not refused for it. Never the family's own."""
    assessing, _ = _request().decide_assessment("assess", date(2026, 2, 1), None, TODAY)
    used = assessing.use_existing_advice(
        AdviceKind.MEDICAL, date(2025, 11, 3), date(2026, 2, 2), [], TODAY
    )
    assert (used.kind, used.advice_dated, used.agreed_on) == (
        "medical",
        date(2025, 11, 3),
        date(2026, 2, 2),
    )
    sought = ["parent", "educational", "educational_psychology", "social_care", used.kind]
    decided, _ = assessing.decide_plan(
        "issue", date(2026, 3, 1), None, sought, (Sen2Need.SLCN,), TODAY
    )
    assert decided.stage == Stage.PLAN_TO_BE_ISSUED
    with pytest.raises(InvalidStep) as own:
        assessing.use_existing_advice(
            AdviceKind.PARENT, date(2025, 11, 3), date(2026, 2, 2), [], TODAY
        )
    assert own.value.field == "kind"
    with pytest.raises(OutOfOrder, match="already been sought"):
        assessing.use_existing_advice(
            AdviceKind.MEDICAL, date(2025, 11, 3), date(2026, 2, 2), ["medical"], TODAY
        )
    with pytest.raises(InvalidStep, match="before the advice was given"):
        assessing.use_existing_advice(
            AdviceKind.MEDICAL, date(2026, 2, 3), date(2026, 2, 2), [], TODAY
        )
    with pytest.raises(OutOfOrder):  # before the decision to assess
        _request().use_existing_advice(
            AdviceKind.MEDICAL, date(2025, 11, 3), date(2026, 2, 2), [], TODAY
        )


def test_advice_is_due_6_weeks_from_the_adviser_receiving_the_request() -> None:
    """Reg 8(1): 6 weeks from the body receiving the request (a letter arrives later than it
    was sent); by default from the day it was sent; never before it was sent."""
    assessing, _ = _request().decide_assessment("assess", date(2026, 2, 1), None, TODAY)
    sent = date(2026, 2, 2)
    asked = assessing.request_advice(
        [AdviceKind.MEDICAL], sent, [], TODAY, advisers_received_on=date(2026, 2, 5)
    )
    assert asked.due_on == date(2026, 2, 5) + timedelta(weeks=6)
    assert assessing.request_advice([AdviceKind.MEDICAL], sent, [], TODAY).due_on == date(
        2026, 3, 16
    )
    with pytest.raises(InvalidStep) as early:
        assessing.request_advice(
            [AdviceKind.MEDICAL], sent, [], TODAY, advisers_received_on=date(2026, 2, 1)
        )
    assert early.value.field == "advisers_received_on"
    late = assessing.receive_advice(
        AdviceKind.MEDICAL, sent, date(2026, 3, 18), TODAY, advisers_received_on=date(2026, 2, 5)
    )
    assert (late.due_on, late.on_time) == (date(2026, 3, 19), True)
