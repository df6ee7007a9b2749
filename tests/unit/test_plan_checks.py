"""The quality checks over a plan's document: each fails on a document broken its way."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest
from plans.catalogue_store import shipped
from plans.checks import CHECKS, check, failed
from plans.document import Outcome, PlanDocument, Provision
from plans.domain import draft_plan
from plans.drafting import draft_document
from plans.standards import NATIONAL, Catalogue, in_force, newest

from shared.events import ReferralReceived, Sen2Need


def _catalogue() -> Catalogue:
    national = newest([v for v, _ in shipped()], NATIONAL)
    assert national is not None
    return in_force(national)


def _referral() -> ReferralReceived:
    return ReferralReceived(
        referral_id=UUID(int=7),
        local_authority="E08000035",
        received_on=date(2026, 11, 2),
        primary_need=Sen2Need.SLCN,
        secondary_needs=[Sen2Need.PD],
        requested_by="parent",
        postcode_district="LS6",
        decision_due=date(2026, 12, 14),
        final_plan_due=date(2027, 3, 22),
        phase="primary",
    )


def _good() -> PlanDocument:
    return draft_document(_referral(), None, _catalogue())


def _broken_line(line: Provision, **changes: object) -> Provision:
    # model_construct: a document as a caseworker's edit might leave it, unvalidated
    return Provision.model_construct(**{**line.model_dump(), **changes})


def _broken_outcome(outcome: Outcome, **changes: object) -> Outcome:
    return Outcome.model_construct(**{**outcome.model_dump(), **changes})


def _failing(document: PlanDocument) -> dict[str, str]:
    return {r.name: r.message for r in failed(check(document))}


def test_a_drafted_plan_passes_every_check_in_a_stable_order() -> None:
    results = check(_good())
    assert [r.name for r in results] == list(CHECKS)
    assert all(r.passed and r.message == "ok" for r in results)


def test_a_need_without_an_outcome_fails() -> None:
    good = _good()
    document = good.model_copy(update={"E": [o for o in good.E if "need-2" not in o.need_ids]})
    failing = _failing(document)
    assert "need need-2 (PD) has no outcome in E" in failing["every_need_has_an_outcome"]
    assert "every_need_has_provision" in failing


def test_a_need_whose_outcomes_have_no_provision_fails() -> None:
    good = _good()
    pd_outcomes = {o.id for o in good.E if "need-2" in o.need_ids}
    keep = [p for p in good.F if not set(p.outcome_ids) & pd_outcomes]
    failing = _failing(good.model_copy(update={"F": keep, "G": []}))
    assert set(failing) == {"every_need_has_provision"}
    assert "need-2 (PD)" in failing["every_need_has_provision"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sessions_per_week", 0),
        ("minutes_per_session", 0),
        ("weeks", 0),
        ("group_size", 0),
        ("where", " "),
        ("delivered_by", ""),
    ],
)
def test_a_provision_line_not_quantified_fails(field: str, value: object) -> None:
    good = _good()
    document = good.model_copy(update={"F": [_broken_line(good.F[0], **{field: value})]})
    failing = _failing(document)
    assert f"F provision-1: says nothing of {field}" == failing["provision_is_quantified"]


def test_an_outcome_not_measurable_or_not_dated_within_a_year_fails() -> None:
    good = _good()
    unmeasured = _broken_outcome(good.E[0], measure="")
    late = _broken_outcome(good.E[1], review_on=date(2026, 11, 2) + timedelta(days=400))
    undated = _broken_outcome(good.E[2], review_on=None)
    document = good.model_copy(update={"E": [unmeasured, late, undated, *good.E[3:]]})
    message = _failing(document)["outcomes_are_measurable_and_dated"]
    assert "outcome-1: needs its words and how progress is measured" in message
    assert "outcome-2: review date 2027-12-07 is not within a year after 2026-11-02" in message
    assert "outcome-3: has no review date" in message


def test_provision_without_a_need_fails() -> None:
    good = _good()
    orphan = _broken_line(good.F[0], outcome_ids=["outcome-99"])
    stray = _broken_outcome(good.E[0], need_ids=["need-9"])
    document = good.model_copy(update={"F": [orphan, *good.F[1:]], "E": [stray, *good.E[1:]]})
    message = _failing(document)["provision_meets_a_need"]
    assert "outcome outcome-1: meets no need in B (need-9)" in message
    assert "F provision-1: serves no outcome in E (outcome-99)" in message


def test_a_line_citing_no_standard_fails() -> None:
    good = _good()
    document = good.model_copy(update={"G": [_broken_line(good.F[0], standard_id=" ")]})
    assert "every_line_cites_a_standard" in _failing(document)


def test_a_draft_failing_a_check_is_kept_for_a_caseworker_and_not_announced() -> None:
    full = _catalogue()
    no_pd = [s for s in full.standards if "PD" not in s.needs]
    catalogue = Catalogue(versions=full.versions, needs=full.needs, standards=no_pd)
    plan, drafted = draft_plan(_referral(), None, catalogue)
    assert drafted is None
    assert plan.status == "needs_attention"
    assert {c.name for c in failed(plan.checks)} == {
        "every_need_has_an_outcome",
        "every_need_has_provision",
    }
