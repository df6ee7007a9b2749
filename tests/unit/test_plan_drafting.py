"""Drafting a plan from a referral against the catalogue in force: pure and deterministic."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from plans.catalogue_store import shipped
from plans.document import SECTION_KEYS, SUPPORT_SECTIONS
from plans.domain import draft_plan, plan_id_for
from plans.drafting import VIEWS_TO_ADD, draft_document
from plans.ehc_plan import drafted_from_advice, support_or_ehc
from plans.standards import NATIONAL, Catalogue, in_force, newest
from plans.structure import PLACEMENT_LATER, TO_BE_WRITTEN

from shared.events import Phase, ReferralDescribed, ReferralReceived, Sen2Need
from shared.specialisms import Specialism

GOLDEN = Path(__file__).parent / "golden" / "plan_ehc_asd_semh_primary.json"
REFERRAL_ID = UUID("4a7f0c3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f")


def _catalogue(council: str | None = None) -> Catalogue:
    versions = [v for v, _ in shipped()]
    national = newest(versions, NATIONAL)
    assert national is not None
    return in_force(national, newest(versions, council) if council else None)


def _referral(need: Sen2Need = Sen2Need.SLCN, **changes: Any) -> ReferralReceived:
    fields: dict[str, Any] = {
        "referral_id": REFERRAL_ID,
        "local_authority": "E08000032",
        "received_on": date(2026, 11, 2),
        "primary_need": need,
        "requested_by": "school",
        "postcode_district": "BD1",
        "decision_due": date(2026, 12, 14),
        "final_plan_due": date(2027, 3, 22),
        "phase": "primary",
        "age_years": 7,
        **changes,
    }
    return ReferralReceived(**fields)


WORDS = ReferralDescribed(
    referral_id=REFERRAL_ID,
    strengths="Loves building things and is kind to younger children.",
    difficulties="Gets very upset when plans change.",
    views="We want him to have a friend at school.",
)


@pytest.mark.parametrize(
    ("need", "area", "lead"),
    [
        (Sen2Need.SLCN, "communication and interaction", Specialism.SPEECH_AND_LANGUAGE_THERAPY),
        (Sen2Need.ASD, "communication and interaction", Specialism.AUTISM_OUTREACH),
        (Sen2Need.SPLD, "cognition and learning", Specialism.SPECIALIST_TEACHING),
        (Sen2Need.SEMH, "social, emotional and mental health", Specialism.SEMH_SUPPORT),
        (Sen2Need.HI, "sensory and/or physical", Specialism.HEARING_IMPAIRMENT_TEACHING),
        (Sen2Need.VI, "sensory and/or physical", Specialism.VISION_IMPAIRMENT_TEACHING),
        (Sen2Need.PD, "sensory and/or physical", Specialism.OCCUPATIONAL_THERAPY),
    ],
)
def test_each_area_of_need_drafts_its_standards_and_lead_role(
    need: Sen2Need, area: str, lead: Specialism
) -> None:
    plan, drafted = draft_plan(_referral(need), None, _catalogue())
    assert drafted is not None
    assert plan.document.B[0].area == area == drafted.area_of_need
    assert drafted.provision_roles[0] is lead
    assert drafted.required_specialism == lead.value
    assert drafted.provision_roles == plan.document.roles()
    cited = list(dict.fromkeys(o.standard_id for o in plan.document.E))
    assert cited[0].startswith(f"{need.value}-"), cited  # a standard written for it first
    assert len(cited) == 2  # the primary need gets two standards


def test_the_drafted_event_carries_the_provision_each_specialist_role_delivers() -> None:
    plan, drafted = draft_plan(_referral(Sen2Need.SLCN), None, _catalogue())
    assert drafted is not None
    delivered = [
        (section, line)
        for section, lines in (("F", plan.document.F), ("G", plan.document.G))
        for line in lines
        if line.role is not None
    ]
    assert delivered, "the SLCN standards name a speech and language therapist"
    assert [(p.section, p.id, p.role) for p in drafted.provision] == [
        (section, line.id, line.role) for section, line in delivered
    ]
    first, line = drafted.provision[0], delivered[0][1]
    assert (first.support, first.sessions_per_week, first.minutes_per_session) == (
        line.support, line.sessions_per_week, line.minutes_per_session,
    )  # fmt: skip
    assert (first.weeks, first.group_size, first.where) == (line.weeks, line.group_size, line.where)
    assert {p.role for p in drafted.provision} == set(drafted.provision_roles)


@pytest.mark.parametrize("need", list(Sen2Need))
@pytest.mark.parametrize("phase", ["early_years", "primary", "secondary", "post_16", None])
def test_every_need_in_every_phase_drafts_a_plan_that_passes_its_checks(
    need: Sen2Need, phase: Phase | None
) -> None:
    plan, drafted = draft_plan(_referral(need, phase=phase), None, _catalogue())
    assert [c.name for c in plan.checks if not c.passed] == []
    assert drafted is not None
    assert plan.status == "draft"
    for standard_id in {o.standard_id for o in plan.document.E}:
        standard = next(s for s in _catalogue().standards if s.id == standard_id)
        assert phase is None or phase in standard.phases


def test_secondary_needs_get_a_description_outcomes_and_provision_of_their_own() -> None:
    referral = _referral(Sen2Need.HI, secondary_needs=[Sen2Need.SEMH, Sen2Need.PD])
    document = draft_document(referral, None, _catalogue())
    assert [(n.id, n.code, n.primary) for n in document.B] == [
        ("need-1", "HI", True),
        ("need-2", "SEMH", False),
        ("need-3", "PD", False),
    ]
    for need in document.B[1:]:
        outcomes = [o for o in document.E if need.id in o.need_ids]
        assert len(outcomes) == 1
        assert outcomes[0].standard_id.startswith(need.code)
        assert any(outcomes[0].id in p.outcome_ids for p in [*document.F, *document.G])


def test_a_need_whose_standards_are_drafted_already_shares_their_outcomes() -> None:
    full = _catalogue()
    [understanding] = [s for s in full.standards if s.id == "SLCN-UND-01"]  # SLCN, ASD, ...
    only = Catalogue(versions=["national-2026.1"], needs=full.needs, standards=[understanding])
    referral = _referral(Sen2Need.SLCN, secondary_needs=[Sen2Need.SLCN, Sen2Need.ASD])
    document = draft_document(referral, None, only)
    assert [n.code for n in document.B] == ["SLCN", "ASD"]  # a repeated code is one need
    assert [o.need_ids for o in document.E] == [["need-1", "need-2"]]


def test_health_provision_goes_in_g_with_the_educational_in_f() -> None:
    document = draft_document(_referral(Sen2Need.HI), None, _catalogue())
    assert [p.support for p in document.G] == [
        "an audiology review (hearing test and hearing aid check), then as the audiologist advises"
    ]
    assert all("NHS" not in p.delivered_by for p in document.F)


def test_the_referrers_words_go_in_b_and_their_views_in_a() -> None:
    document = draft_document(_referral(Sen2Need.ASD, described=True), WORDS, _catalogue())
    primary = document.B[0]
    assert primary.in_the_referrers_words == (
        "Strengths: Loves building things and is kind to younger children.\n"
        "Difficulties: Gets very upset when plans change."
    )
    assert document.A == "We want him to have a friend at school."
    without = draft_document(_referral(Sen2Need.ASD), None, _catalogue())
    assert without.B[0].in_the_referrers_words is None
    assert without.A == VIEWS_TO_ADD


def test_intake_drafts_the_support_plan_on_both_tracks_and_the_ehc_plan_has_every_section() -> None:
    support = draft_document(_referral(), None, _catalogue())
    on_ehc_track = draft_document(_referral(track="ehc"), None, _catalogue())
    ehc = drafted_from_advice(on_ehc_track, date(2027, 3, 22))
    assert (support.track, on_ehc_track.track, ehc.track) == ("support", "support", "ehc")
    assert (support_or_ehc(on_ehc_track), support_or_ehc(ehc)) == ("support plan", "EHC plan")
    filled = {"A", "B", "E", "F", "G"}
    for key in SECTION_KEYS:
        if key not in filled and key != "K":
            assert getattr(support, key) is None, key
            assert getattr(on_ehc_track, key) is None, key
            assert getattr(ehc, key) == (PLACEMENT_LATER if key == "I" else TO_BE_WRITTEN), key
    _, support_event = draft_plan(_referral(), None, _catalogue())
    _, ehc_event = draft_plan(_referral(track="ehc"), None, _catalogue())
    assert support_event is not None
    assert ehc_event is not None
    assert support_event.sections == list(SUPPORT_SECTIONS)
    assert ehc_event.sections == list(SUPPORT_SECTIONS)
    assert (support_event.statutory_due, ehc_event.statutory_due) == (None, date(2027, 3, 22))


def test_outcomes_are_dated_from_the_request_not_today() -> None:
    document = draft_document(_referral(received_on=date(2025, 1, 6)), None, _catalogue())
    assert {o.review_on for o in document.E} == {date(2025, 3, 31)}  # 12 weeks on
    assert document.E[0].text.startswith("By 31 March 2025, the child will")
    post_16 = draft_document(_referral(phase="post_16"), None, _catalogue())
    assert post_16.E[0].text.split(", ")[1].startswith("the young person will")


def test_a_councils_layer_is_used_and_recorded_for_that_council_only() -> None:
    leeds = draft_document(_referral(local_authority="E08000035"), None, _catalogue("E08000035"))
    bradford = draft_document(_referral(), None, _catalogue())
    assert leeds.catalogue_versions == ["national-2026.2", "E08000035-2026.2"]
    assert bradford.catalogue_versions == ["national-2026.2"]
    group = [p for p in leeds.F if p.standard_id == "SLCN-EXPR-01" and p.group_size > 1]
    assert [(p.group_size, p.weeks) for p in group] == [(4, 15)]


def test_the_same_inputs_and_catalogue_versions_draft_the_same_plan() -> None:
    referral = _referral(Sen2Need.ASD, secondary_needs=[Sen2Need.SEMH], track="ehc", described=True)
    plan, drafted = draft_plan(referral, WORDS, _catalogue())
    again, drafted_again = draft_plan(referral, WORDS, _catalogue())
    assert plan == again
    assert plan.id == plan_id_for(REFERRAL_ID)
    assert drafted is not None
    assert drafted_again is not None
    assert drafted.model_dump() == drafted_again.model_dump()
    expected = json.loads(GOLDEN.read_text())
    assert plan.document.model_dump(mode="json") == expected
