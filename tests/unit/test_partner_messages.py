"""An NHS partner's message read into a referral request, or into the problems it has."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from referrals.config import ReferralsSettings
from referrals.domain import Step
from referrals.fhir_bundle import link_of, task
from referrals.partner_example import example_bundle, partner_record
from referrals.partner_progress import milestones_to_tell
from referrals.partners import read
from referrals.schemas import ReferralRequest

SETTINGS = ReferralsSettings(accept_test_nhs_numbers=True)


def _read(data: object, **record: str) -> tuple[list[tuple[str, str]], object]:
    message = partner_record(data, request_id="SR-1", **record)
    inbound = read(message.headers, b"SR-1", message.value, SETTINGS)
    return inbound.problems, inbound.body


def test_both_content_modes_read_into_the_same_referral_request() -> None:
    bundle = example_bundle()
    binary, structured = _read(bundle, mode="binary"), _read(bundle, mode="structured")
    assert binary == structured
    problems, body = binary
    assert problems == []
    assert body is not None


def test_a_failed_check_names_the_fhir_path_and_never_the_value() -> None:
    problems, body = _read(example_bundle(nhs_number="9990000027", given="Zephyrine"))
    assert body is None
    assert [where for where, _ in problems] == [
        "Patient.identifier.where(system='https://fhir.nhs.uk/Id/nhs-number').value"
    ]
    assert "9990000027" not in str(problems)


def test_an_invalid_fhir_date_is_located_in_the_bundle() -> None:
    bundle = example_bundle()
    bundle["entry"][2]["resource"]["birthDate"] = "2019-13-01"
    problems, _ = _read(bundle)
    assert [where for where, _ in problems] == ["Bundle.entry[2].resource.birthDate"]


def test_a_25_year_old_from_a_partner_is_refused_naming_the_birth_date() -> None:
    """A young person is under 25 (s83(2)): a partner's referral of a 25-year-old is refused
    at the Patient's birthDate, as intake refuses it."""
    today = date.today()
    born = date(today.year - 25, today.month, 1 if today.day > 1 else today.day)
    problems, body = _read(example_bundle(born=born))
    assert body is None
    assert [where for where, _ in problems] == ["Patient.birthDate"]
    assert "under 25" in problems[0][1]


def test_the_familys_postal_address_is_read_into_the_family_contact() -> None:
    problems, body = _read(example_bundle())
    assert problems == []
    assert isinstance(body, ReferralRequest)
    address = body.family_contact.address
    assert address is not None
    assert address.as_lines() == ["12 Otley Road", "Headingley", "Leeds", "LS6 2AB"]
    assert body.family_contact.preferred_channel == "email"


def test_without_a_related_person_the_address_comes_from_the_patients_contact() -> None:
    bundle = example_bundle()
    related = bundle["entry"].pop(4)["resource"]
    bundle["entry"][2]["resource"]["contact"] = [
        {"name": {"text": "Ann Parent"}},
        {
            "name": related["name"][0],
            "address": {"line": ["  3  Mill Lane"], "district": "Bradford", "postalCode": "bd11aa"},
        },
    ]
    problems, body = _read(bundle)
    assert problems == []
    assert isinstance(body, ReferralRequest)
    assert body.family_contact.address is not None
    assert body.family_contact.address.as_lines() == ["3 Mill Lane", "Bradford", "BD1 1AA"]
    # Nothing but an address to reach the family by: they are written to.
    assert body.family_contact.preferred_channel == "letter"


@pytest.mark.parametrize(
    ("change", "located"),
    [
        ({"postalCode": "LS6 2CI"}, "Bundle.entry[4].resource.address[0].postalCode"),
        ({"postalCode": None}, "Bundle.entry[4].resource.address[0].postalCode"),
        ({"line": ["12 Otley Road", "/Headingley"]}, "Bundle.entry[4].resource.address[0].line[1]"),
        ({"city": "=Leeds"}, "Bundle.entry[4].resource.address[0].city"),
        ({"line": [], "city": None}, "Bundle.entry[4].resource.address[0].line"),
    ],
)
def test_a_bad_postal_address_is_rejected_at_its_fhir_path_never_its_value(
    change: dict[str, object], located: str
) -> None:
    bundle = example_bundle()
    address = bundle["entry"][4]["resource"]["address"][0]
    address.update(change)
    for key in [k for k, v in address.items() if v in (None, [])]:
        del address[key]
    problems, body = _read(bundle)
    assert body is None
    assert [where for where, _ in problems] == [located]
    assert not any(str(v) in why for v in change.values() if v for _, why in problems)


def test_a_partner_may_refer_only_to_its_own_councils() -> None:
    problems, _ = _read(
        example_bundle(), partner="leeds-community-paediatrics", council="E08000032"
    )
    assert problems[0][0] == "CloudEvent.localauthority"


def test_a_milestone_is_the_accepted_task_in_progress_with_its_business_status() -> None:
    referral_id = UUID("6f1c1b52-8d1e-4a55-9c39-0c6a7f4f0b11")
    link = f"https://caseworkers.example/v1/referrals/{referral_id}"
    answer = task(referral_id, "SR-1", link)
    update = task(referral_id, "SR-1", link_of(answer), "plan-drafted")
    assert answer["status"] == "accepted"
    assert update["status"] == "in-progress"
    assert update["businessStatus"]["coding"][0]["code"] == "plan-drafted"
    same = ("resourceType", "intent", "identifier", "groupIdentifier", "output")
    assert {k: update[k] for k in same} == {k: answer[k] for k in same}


def test_a_partner_is_told_of_each_milestone_once_and_never_backwards() -> None:
    received, plan, waitlisted, assigned = (
        Step.RECEIVED,
        Step.PLAN_DRAFTED,
        Step.WAITLISTED,
        Step.SPECIALIST_ASSIGNED,
    )
    assert milestones_to_tell([received, plan], plan) == ["plan-drafted"]
    assert milestones_to_tell([received, plan, assigned], assigned) == ["specialist-assigned"]
    assert milestones_to_tell([received, plan, waitlisted, assigned], assigned) == [
        "specialist-assigned"
    ]
    # The specialist's step came first: the plan is told before it, and not again later.
    assert milestones_to_tell([received, assigned], assigned) == [
        "plan-drafted",
        "specialist-assigned",
    ]
    assert milestones_to_tell([received, assigned, plan], plan) == []
    assert milestones_to_tell([received, plan, assigned, waitlisted], waitlisted) == []
    assert milestones_to_tell([received, Step.MESSAGE_SENT], Step.MESSAGE_SENT) == []
