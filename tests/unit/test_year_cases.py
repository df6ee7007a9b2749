"""The simulated council year's cases (``scripts.bench.year_cases``): seeded, each case the same
whatever the year's size, on time before every limit's at-risk day, and a late case late at
its one limit only, inside the year."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from referrals.live.phase_transfer import PhaseTransfer

from scripts.bench.year_cases import (
    REVIEW_LATE,
    Step,
    YearPlan,
    late_review,
    plans_csv,
    request_day,
    request_steps,
    review_due,
    review_steps,
    transfer_steps,
)

PLAN = YearPlan(plans=400, requests=80)
AT_RISK_DAYS = 10  # DEADLINE_AT_RISK_DAYS's default


def _days(steps: list[Step]) -> dict[str, date]:
    return {path.rsplit("/", 1)[-1]: day for day, path, _ in steps}


def _review(plan: YearPlan, n: int, late: str | None) -> dict[str, date]:
    due = review_due(plan, n)
    opened = max(due - timedelta(70), plan.first_day)
    return {"due": due, **_days(review_steps(plan, n, opened, due, late))}


def test_the_same_seed_gives_the_same_year_and_another_seed_another() -> None:
    again, other = YearPlan(plans=400, requests=80), YearPlan(plans=400, requests=80, seed=23)

    def requests(plan: YearPlan) -> list[object]:
        return [request_steps(plan, n, request_day(plan, n)) for n in range(plan.requests)]

    assert plans_csv(PLAN) == plans_csv(again)
    assert requests(PLAN) == requests(again)
    assert requests(PLAN) != requests(other)


def test_a_case_is_the_same_whatever_the_years_size() -> None:
    small = YearPlan(plans=40, requests=8)
    day = date(2027, 3, 1)
    assert [request_steps(small, n, day) for n in range(8)] == [
        request_steps(PLAN, n, day) for n in range(8)
    ]


def test_an_on_time_review_takes_each_step_before_its_limit_is_at_risk() -> None:
    for n in range(PLAN.plans):
        r = _review(PLAN, n, None)
        assert r["meeting"] <= r["invitations"] <= r["meeting-held"] - timedelta(14)
        assert r["meeting-held"] < r["due"] - timedelta(AT_RISK_DAYS)
        assert r["report"] < r["meeting-held"] + timedelta(14 - AT_RISK_DAYS)
        assert r["decision"] < r["meeting-held"] + timedelta(28 - AT_RISK_DAYS)
        if "final" in r:  # amended: 8 weeks from the proposals at the latest
            assert r["final"] < r["proposals"] + timedelta(56 - AT_RISK_DAYS)


def test_a_late_review_misses_its_one_limit_inside_the_year() -> None:
    limits: dict[str, Callable[[dict[str, date]], bool]] = {
        "review_invitations": lambda r: r["invitations"] > r["meeting-held"] - timedelta(14),
        "review_meeting": lambda r: r["meeting-held"] > r["due"],
        "review_report": lambda r: r["report"] > r["meeting-held"] + timedelta(14),
        "review_decision": lambda r: r["decision"] > r["meeting-held"] + timedelta(28),
        "amended_plan": lambda r: r["final"] > r["proposals"] + timedelta(56),
    }
    plan = YearPlan(plans=400, requests=80, late_share=0.3)
    late = {n: k for n in range(plan.plans) if (k := late_review(plan, n, review_due(plan, n)))}
    assert set(late.values()) == set(REVIEW_LATE)
    for n, kind in late.items():
        r = _review(plan, n, kind)
        assert [k for k, missed in limits.items() if _applies(k, r) and missed(r)] == [kind]
        assert max(r.values()) <= plan.last_day


def _applies(kind: str, review: dict[str, date]) -> bool:
    return kind != "amended_plan" or "final" in review


def test_a_transfer_review_issues_the_amended_plan_naming_the_next_setting_before_at_risk() -> None:
    for kind in ("primary_to_secondary", "secondary_to_post_16"):
        transfer = PhaseTransfer(kind, 2027)
        steps = transfer_steps(7, PLAN.first_day, transfer, late=False)
        day, _, body = steps[-1]
        assert day < transfer.due_on - timedelta(AT_RISK_DAYS)  # no at-risk warning
        assert body["next_setting"]
        assert body["issued_on"] == str(day)
        days = _days(steps)
        assert days["proposals"] + timedelta(15) <= day  # the family's 15 days for comments
        assert days["meeting-held"] >= days["invitations"] + timedelta(14)
    late = transfer_steps(7, PLAN.first_day, PhaseTransfer("primary_to_secondary", 2027), True)
    assert late[-1][0] == date(2027, 2, 19)  # 5 days after 14 February


def test_an_amended_plan_names_the_next_setting_only_in_the_school_year_before_the_move() -> None:
    moving = PhaseTransfer("primary_to_secondary", 2028)
    autumn, spring = (
        [review_steps(PLAN, n, opened, due, None, moving) for n in range(PLAN.plans)]
        for opened, due in ((date(2027, 8, 1), date(2027, 10, 10)),
                            (date(2027, 1, 20), date(2027, 4, 10)))
    )  # fmt: skip
    n = next(n for n in range(PLAN.plans) if autumn[n][-1][1].endswith("final"))
    assert autumn[n][-1][2]["next_setting"] == {"urn": f"{140000 + n % 900}"}
    amended_in_spring = [steps[-1] for steps in spring if steps[-1][1].endswith("final")]
    assert amended_in_spring  # an amendment of the school year before the one before the move:
    assert all("next_setting" not in body for _, _, body in amended_in_spring)  # none asked
