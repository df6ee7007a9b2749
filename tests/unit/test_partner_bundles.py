"""NHS partners' Bundles as NHS systems build them (#23): requesters by ODS code, reasons in
SNOMED CT or text, the checks that matter for safety, each failure named by its FHIRPath."""

from __future__ import annotations

from typing import Any

import pytest
from referrals.config import ReferralsSettings
from referrals.partner_checks import VERIFICATION_EXTENSION, VERIFICATION_SYSTEM
from referrals.partner_example import example_bundle, partner_record, snomed_reason, text_reason
from referrals.partners import Inbound, read
from referrals.referrer_reasons import SNOMED_SYSTEM, ReferrerReason, suggested_needs

from shared.events import Sen2Need

SETTINGS = ReferralsSettings(accept_test_nhs_numbers=True)
# The issue's own example concept (#23), used here as test data, not as a clinical fact.
CONCEPT = "35919005"


def _read(bundle: dict[str, Any]) -> Inbound:
    message = partner_record(bundle, request_id="SR-1")
    return read(message.headers, b"SR-1", message.value, SETTINGS)


def _where(inbound: Inbound) -> list[str]:
    return [where for where, _ in inbound.problems]


def test_a_logical_ods_reference_and_a_snomed_reason_make_a_referral_waiting_for_triage() -> None:
    inbound = _read(
        example_bundle(
            need=None, requester="ods", reasons=[snomed_reason(CONCEPT, "Pervasive disorder")]
        )
    )
    assert inbound.problems == []
    assert inbound.body is not None
    assert inbound.body.primary_need is None
    assert inbound.requester_ods == "RR8"
    assert inbound.reasons == [
        ReferrerReason(system=SNOMED_SYSTEM, code=CONCEPT, display="Pervasive disorder")
    ]


def test_a_practitioner_roles_organization_gives_the_ods_code() -> None:
    inbound = _read(example_bundle(requester="practitioner-role"))
    assert inbound.problems == []
    assert inbound.requester_ods == "RR8"
    assert inbound.body is not None
    assert inbound.body.primary_need == Sen2Need.SLCN


def test_a_reason_as_text_only_is_kept_as_the_referrers_words() -> None:
    words = "Few words at 4; struggles to join in with other children."
    inbound = _read(example_bundle(need=None, reasons=[text_reason(words)]))
    assert inbound.problems == []
    assert inbound.reasons == [ReferrerReason(text=words)]
    assert inbound.body is not None
    assert inbound.body.primary_need is None


def test_a_sen2_code_under_another_system_is_the_referrers_words_not_the_need() -> None:
    other = {"coding": [{"system": "https://trust.example.nhs.uk/codes", "code": "ASD"}]}
    inbound = _read(example_bundle(need=None, reasons=[other]))
    assert inbound.problems == []
    assert inbound.body is not None
    assert inbound.body.primary_need is None
    assert inbound.reasons[0].code == "ASD"


def test_a_reason_pointing_to_a_condition_in_the_bundle_is_read() -> None:
    bundle = example_bundle(need=None)
    bundle["entry"].append(
        {
            "fullUrl": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000009",
            "resource": {
                "resourceType": "Condition",
                "subject": {"reference": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000003"},
                "code": {"text": "Speech delay"},
            },
        }
    )
    request = bundle["entry"][1]["resource"]
    request["reasonReference"] = [{"reference": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000009"}]
    inbound = _read(bundle)
    assert inbound.problems == []
    assert inbound.reasons == [ReferrerReason(text="Speech delay")]


@pytest.mark.parametrize(
    ("change", "located"),
    [
        (
            {"identifier": {"system": "https://example.org/ods", "value": "RR8"}},
            "ServiceRequest.requester.identifier.system",
        ),
        (
            {
                "identifier": {
                    "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                    "value": "r",
                }
            },
            "ServiceRequest.requester.identifier.value",
        ),
        (
            {
                "type": "Patient",
                "identifier": {
                    "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                    "value": "RR8",
                },
            },
            "ServiceRequest.requester.type",
        ),
        (
            {"reference": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000003"},  # the Patient
            "ServiceRequest.requester",
        ),
    ],
)
def test_a_requester_without_an_ods_code_is_rejected_where_it_is(
    change: dict[str, Any], located: str
) -> None:
    bundle = example_bundle()
    bundle["entry"][1]["resource"]["requester"] = change
    inbound = _read(bundle)
    assert inbound.body is None
    assert _where(inbound) == [located]


def test_a_referral_without_any_reason_is_rejected() -> None:
    inbound = _read(example_bundle(need=None))
    assert _where(inbound) == ["ServiceRequest.reasonCode"]


def test_a_malformed_snomed_code_is_rejected_at_its_coding() -> None:
    inbound = _read(example_bundle(need=None, reasons=[snomed_reason("F84.0", "an ICD-10 code")]))
    assert _where(inbound) == ["ServiceRequest.reasonCode[0].coding[0].code"]


def test_an_unknown_sen2_code_in_our_system_is_rejected() -> None:
    inbound = _read(example_bundle(need="AUTISM"))
    assert _where(inbound) == ["ServiceRequest.reasonCode[0].coding[0].code"]


def test_a_reasons_unsafe_text_is_rejected_without_its_words() -> None:
    words = "hidden\u202eword"
    inbound = _read(example_bundle(need=None, reasons=[text_reason(words)]))
    assert _where(inbound) == ["ServiceRequest.reasonCode[0].text"]
    assert "hidden" not in str(inbound.problems)


def test_an_nhs_number_under_another_system_is_rejected() -> None:
    bundle = example_bundle()
    bundle["entry"][2]["resource"]["identifier"][0]["system"] = "http://fhir.nhs.uk/Id/nhs-number"
    inbound = _read(bundle)
    assert _where(inbound) == ["Bundle.entry[2].resource.identifier[0].system"]


def _verified(code: str) -> dict[str, Any]:
    bundle = example_bundle()
    bundle["entry"][2]["resource"]["identifier"][0]["extension"] = [
        {
            "url": VERIFICATION_EXTENSION,
            "valueCodeableConcept": {"coding": [{"system": VERIFICATION_SYSTEM, "code": code}]},
        }
    ]
    return bundle


def test_a_verified_nhs_number_is_accepted() -> None:
    assert _read(_verified("01")).problems == []


@pytest.mark.parametrize("code", ["02", "04", "99"])
def test_an_nhs_number_not_verified_is_rejected_at_its_verification_status(code: str) -> None:
    inbound = _read(_verified(code))
    assert _where(inbound) == [
        "Bundle.entry[2].resource.identifier[0].extension[0].valueCodeableConcept"
    ]
    assert "9990000018" not in str(inbound.problems)


def test_an_nhs_number_failing_its_check_digit_is_rejected() -> None:
    inbound = _read(example_bundle(nhs_number="9990000019"))
    assert _where(inbound) == [
        "Patient.identifier.where(system='https://fhir.nhs.uk/Id/nhs-number').value"
    ]


@pytest.mark.parametrize("gender", ["M", "boy"])
def test_a_gender_outside_administrative_gender_is_rejected(gender: str) -> None:
    bundle = example_bundle()
    bundle["entry"][2]["resource"]["gender"] = gender
    inbound = _read(bundle)
    assert _where(inbound) == ["Bundle.entry[2].resource.gender"]


def test_an_administrative_gender_is_accepted() -> None:
    bundle = example_bundle()
    bundle["entry"][2]["resource"]["gender"] = "female"
    assert _read(bundle).problems == []


@pytest.mark.parametrize(
    ("resource", "element", "value", "located"),
    [
        (2, "birthDate", "2019", "Patient.birthDate"),
        (2, "birthDate", "2019-02-30", "Bundle.entry[2].resource.birthDate"),
        (1, "authoredOn", "yesterday", "Bundle.entry[1].resource.authoredOn"),
    ],
)
def test_a_date_that_does_not_parse_is_rejected_at_its_path(
    resource: int, element: str, value: str, located: str
) -> None:
    bundle = example_bundle()
    bundle["entry"][resource]["resource"][element] = value
    inbound = _read(bundle)
    assert located in _where(inbound)


def test_the_councils_table_suggests_needs_for_snomed_reasons_only() -> None:
    reasons = [
        ReferrerReason(system=SNOMED_SYSTEM, code=CONCEPT),
        ReferrerReason(system="https://trust.example.nhs.uk/codes", code=CONCEPT),
        ReferrerReason(text=CONCEPT),
    ]
    assert suggested_needs(reasons, {CONCEPT: Sen2Need.ASD}) == [Sen2Need.ASD]
    assert suggested_needs(reasons, {}) == []


def test_the_suggestion_table_takes_only_snomed_identifiers() -> None:
    with pytest.raises(ValueError, match="not a SNOMED CT identifier"):
        ReferralsSettings(snomed_sen2_suggestions={"F84": "ASD"})
    assert ReferralsSettings().snomed_sen2_suggestions == {}
