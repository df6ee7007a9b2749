"""Checks on an NHS partner's Patient that matter for the child's safety, beyond what the FHIR
R4 models check: the NHS number under its one system, verified when its verification status is
given, and ``Patient.gender`` from FHIR's administrative-gender codes. (The NHS number's check
digit and range are the intake's, as for every referral; dates that do not parse are the
models'.) Pure; each problem names its FHIRPath and why, never the value.

The FHIR R4 models (``fhir.resources``) carry the base specification's types, not its value set
bindings, nor UK Core's profiles or value sets (which cannot be downloaded here): the few codes
checked here are written out, each with where it comes from.
"""

from __future__ import annotations

from typing import Any

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
VERIFICATION_EXTENSION = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
)
VERIFICATION_SYSTEM = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
VERIFIED = "01"
"""UK Core's NHS number verification status (England), 01: number present and verified (a
trace against the Personal Demographics Service found it). Any other status (02-08: present
but not traced, trace required, no match...) means the number is not known to be this child's,
and the platform matches children by NHS number: a wrong one would join two children's
records. Such a referral is refused with what to do (trace it, or leave the number out)."""
VERIFICATION_CODES = frozenset(f"{n:02d}" for n in range(1, 9))
ADMINISTRATIVE_GENDER = frozenset({"male", "female", "other", "unknown"})
"""FHIR R4's administrative-gender value set (required binding of ``Patient.gender``), which
the models do not check."""

Problem = tuple[str, str]


def patient_problems(patient: Any, at: str) -> list[Problem]:
    """What is unsafe in the Patient at FHIRPath ``at`` (``Bundle.entry[2].resource``)."""
    problems: list[Problem] = []
    numbers: set[str] = set()
    for i, identifier in enumerate(patient.identifier or ()):
        where = f"{at}.identifier[{i}]"
        system = identifier.system or ""
        if system != NHS_NUMBER_SYSTEM:
            if "nhs-number" in system.lower():
                problems.append(
                    (f"{where}.system", f"an NHS number's system is {NHS_NUMBER_SYSTEM}")
                )
            continue
        numbers.add("".join(str(identifier.value or "").split()))
        problems += _verification(identifier, where)
    if len(numbers) > 1:
        problems.append((f"{at}.identifier", "more than one NHS number for one child"))
    if patient.gender is not None and patient.gender not in ADMINISTRATIVE_GENDER:
        problems.append(
            (f"{at}.gender", "not an administrative-gender code: male, female, other or unknown")
        )
    return problems


def _verification(identifier: Any, where: str) -> list[Problem]:
    for j, extension in enumerate(identifier.extension or ()):
        if extension.url != VERIFICATION_EXTENSION:
            continue
        path = f"{where}.extension[{j}].valueCodeableConcept"
        concept = extension.valueCodeableConcept
        codes = [
            str(c.code) for c in (concept.coding if concept else None) or ()
            if c.system == VERIFICATION_SYSTEM
        ]  # fmt: skip
        if not codes or codes[0] not in VERIFICATION_CODES:
            return [
                (path, f"an NHS number verification status code (01-08) of {VERIFICATION_SYSTEM}")
            ]
        if codes[0] != VERIFIED:
            return [
                (
                    path,
                    f"the NHS number is not verified (status {codes[0]}): trace it before "
                    "referring, or leave the number out",
                )
            ]
    return []
