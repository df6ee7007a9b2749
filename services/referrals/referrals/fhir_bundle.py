"""An NHS partner's referral as FHIR R4 (UK Core): a message ``Bundle`` read into the body
``POST /v1/referrals`` takes, and our answer as a FHIR ``Task`` or ``OperationOutcome``.

Pure: no I/O. The FHIR is parsed and validated with ``fhir.resources``' R4B models (R4B reads
R4 messages of these resources unchanged); what the platform needs from it is picked out by the
paths in ``MAPPING`` (the table in docs/nhs-partners.md). Every problem names its FHIRPath and
why, never the value (it may be personal data).

(Longer than most modules: the FHIR paths read into a referral and the two resources of the
answer are one partner contract, checked together.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task
from pydantic import ValidationError

from referrals.intake import address_line
from referrals.partner_checks import NHS_NUMBER_SYSTEM as NHS_NUMBER_SYSTEM
from referrals.partner_checks import patient_problems
from referrals.referrer_reasons import SEN2_SYSTEM as SEN2_SYSTEM
from referrals.referrer_reasons import SNOMED_SYSTEM as SNOMED_SYSTEM
from referrals.referrer_reasons import ReferrerReason, reasons_of

ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")
"""An ODS code's form: 3 to 10 capital letters and digits (an NHS trust's RR8, a site's RR801,
a GP practice's B86001)."""
TRACK_SYSTEM = "https://send-platform.uk/fhir/CodeSystem/request-track"
REFERRAL_ID_SYSTEM = "https://send-platform.uk/Id/referral"

MAPPING: dict[str, str] = {
    "child.nhs_number": "Patient.identifier.where(system='" + NHS_NUMBER_SYSTEM + "').value",
    "child.given_name": "Patient.name[0].given[0]",
    "child.family_name": "Patient.name[0].family",
    "child.date_of_birth": "Patient.birthDate",
    "child.postcode": "Patient.address[0].postalCode",
    "primary_need": "ServiceRequest.reasonCode.coding.where(system='" + SEN2_SYSTEM + "').code "
    "(else none: the referral waits for a caseworker's triage)",
    "referrer_reasons": "ServiceRequest.reasonCode (every coding and text) and the code of each "
    "Condition its reasonReference points to in the bundle: the referrer's words",
    "track": "ServiceRequest.category.coding.where(system='" + TRACK_SYSTEM + "').code",
    "received_on": "ServiceRequest.authoredOn",
    "family_contact.name": "RelatedPerson.name[0]",
    "family_contact.email": "RelatedPerson.telecom.where(system='email').value",
    "family_contact.phone": "RelatedPerson.telecom.where(system='phone').value",
    "family_contact.preferred_channel": "RelatedPerson.telecom (email if given, else sms; "
    "letter when only an address)",
    "family_contact.address.lines": "RelatedPerson.address[0].line, then its city and district "
    "(else Patient.contact.address)",
    "family_contact.address.postcode": "RelatedPerson.address[0].postalCode "
    "(else Patient.contact.address.postalCode)",
    "requested_by": "ServiceRequest.requester (NHS: always health)",
    "requester_ods": "ServiceRequest.requester: an Organization's identifier (ODS code), a "
    "PractitionerRole's organization, or a logical reference by ODS code",
    "local_authority": "the CloudEvent's localauthority extension attribute",
}
"""Each referral field and the FHIRPath it comes from (docs/nhs-partners.md shows this table)."""

Problem = tuple[str, str]
"""(FHIRPath, why): one thing wrong with a partner's message."""


class Rejected(ValueError):
    """The message cannot become a referral; ``problems`` say where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{where}: {why}" for where, why in problems))
        self.problems = problems


@dataclass(frozen=True)
class PartnerReferral:
    """What the bundle asks for, as ``POST /v1/referrals`` would take it."""

    body: dict[str, Any]
    requester_ods: str
    reasons: list[ReferrerReason] = field(default_factory=list)
    """The referrer's reasons, as given (their words: never logged)."""
    paths: dict[str, str] = field(default_factory=dict)
    """Referral fields read from a place in this bundle (the family's postal address): the
    field (as in ``MAPPING``) -> its FHIRPath, e.g. ``Bundle.entry[4].resource.address[0]``."""


def fhir_path(loc: tuple[str | int, ...], root: str = "Bundle") -> str:
    """A pydantic location as FHIRPath: ``("entry", 0)`` -> ``Bundle.entry[0]``."""
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def read_bundle(data: Any) -> PartnerReferral:
    """The referral a FHIR message ``Bundle`` asks for; raises ``Rejected`` saying where and why."""
    if not isinstance(data, dict):
        raise Rejected([("Bundle", "the event's data must be a FHIR resource (JSON object)")])
    kind = data.get("resourceType")
    if kind != "Bundle":
        raise Rejected([("resourceType", f"expected Bundle, not {_known_type(kind)}")])
    unknown = [
        (f"Bundle.entry[{i}].resource.resourceType", "not a FHIR R4 resource type")
        for i, entry in enumerate(data.get("entry") or [])
        if isinstance(entry, dict)
        and isinstance(entry.get("resource"), dict)
        and _known_type(entry["resource"].get("resourceType")) == "an unknown resource type"
    ]
    if unknown:
        raise Rejected(unknown)
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        raise Rejected(
            [
                (fhir_path(tuple(e["loc"])), e["msg"].removeprefix("Value error, "))
                for e in exc.errors()
            ]
        ) from exc
    return _referral_of(bundle)


def _known_type(kind: Any) -> str:
    if not isinstance(kind, str):
        return "a resource without resourceType"
    try:
        get_fhir_model_class(kind)
    except (KeyError, ValueError):
        return "an unknown resource type"
    return kind


def _referral_of(bundle: Bundle) -> PartnerReferral:
    if bundle.type != "message":
        raise Rejected([("Bundle.type", "must be message")])
    by_url = {e.fullUrl: e.resource for e in bundle.entry or () if e.fullUrl and e.resource}
    resources = [e.resource for e in bundle.entry or () if e.resource is not None]
    at = {id(e.resource): f"Bundle.entry[{i}].resource" for i, e in enumerate(bundle.entry or ())}
    header: Any = next((r for r in resources if r.get_resource_type() == "MessageHeader"), None)
    if header is None or not getattr(header, "focus", None):
        raise Rejected([("Bundle.entry.resource.ofType(MessageHeader).focus", "missing")])
    request = _resolve(by_url, resources, header.focus[0].reference, "ServiceRequest")
    if request is None:
        raise Rejected([("MessageHeader.focus", "must point to a ServiceRequest in the bundle")])
    problems: list[Problem] = []
    if request.status != "active":
        problems.append(("ServiceRequest.status", "must be active"))
    if request.intent != "order":
        problems.append(("ServiceRequest.intent", "must be order"))
    ods, found = _requester_ods(by_url, resources, request.requester)
    problems += found
    concepts = [
        (f"ServiceRequest.reasonCode[{i}]", c) for i, c in enumerate(request.reasonCode or ())
    ]
    for i, ref in enumerate(request.reasonReference or ()):
        condition = _resolve(by_url, resources, ref.reference, "Condition")
        if condition is None or condition.code is None:
            problems.append(
                (f"ServiceRequest.reasonReference[{i}]", "must point to a Condition (with its "
                 "code) in the bundle")
            )  # fmt: skip
        else:
            concepts.append((f"{at.get(id(condition), 'Condition')}.code", condition.code))
    reasons, need, found = reasons_of(concepts)
    problems += found
    patient = _resolve(by_url, resources, request.subject and request.subject.reference, "Patient")
    if patient is None:
        raise Rejected([*problems, ("ServiceRequest.subject", "must be a Patient in the bundle")])
    problems += patient_problems(patient, at.get(id(patient), "Patient"))
    family = next((r for r in resources if r.get_resource_type() == "RelatedPerson"), None)
    name = (patient.name or [None])[0]
    address = (patient.address or [None])[0]
    contact = _family_contact(family, patient)
    if contact is None:
        problems.append(("RelatedPerson", "the family's contact (or Patient.contact) is missing"))
    paths: dict[str, str] = {}
    postal = _postal_address(family, patient, at)
    if postal is not None and contact is not None:
        base, lines, postcode = postal
        for path, text in lines:  # each line located (the request's check says only "lines")
            try:
                address_line(text)
            except ValueError as exc:
                problems.append((path, str(exc)))
        contact["address"] = {"lines": [text for _, text in lines]}
        if postcode is not None:
            contact["address"]["postcode"] = postcode
        if not contact["email"] and not contact["phone"]:
            contact["preferred_channel"] = "letter"
        paths = {
            "family_contact.address": base,
            "family_contact.address.lines": f"{base}.line",
            "family_contact.address.postcode": f"{base}.postalCode",
        }
    if problems:
        raise Rejected(problems)
    body: dict[str, Any] = {
        "local_authority": None,  # from the event (the caller sets it)
        "requested_by": "health",
        "track": _code(request.category, TRACK_SYSTEM) or "support",
        "primary_need": need,
        "received_on": str(request.authoredOn)[:10] if request.authoredOn else None,
        "child": {
            "given_name": (name.given or [None])[0] if name else None,
            "family_name": name.family if name else None,
            "date_of_birth": str(patient.birthDate) if patient.birthDate else None,
            "nhs_number": _identifier(patient.identifier, NHS_NUMBER_SYSTEM),
            "postcode": address.postalCode if address else None,
        },
        "family_contact": contact,
    }
    return PartnerReferral(body=body, requester_ods=ods or "", reasons=reasons, paths=paths)


def _requester_ods(
    by_url: dict[str, Any], resources: list[Any], requester: Any
) -> tuple[str | None, list[Problem]]:
    """The ODS code of who refers: an Organization in the bundle (its identifier), a
    PractitionerRole in the bundle (its organization's, in the bundle or by ODS code), or a
    logical reference by ODS code (``{"identifier": {"system": ODS_SYSTEM, "value": ...}}``)."""
    where = "ServiceRequest.requester"
    if requester is None:
        return None, [(where, "missing: the Organization or PractitionerRole that refers")]
    if requester.reference is None:
        return _logical_ods(requester, where, "Organization")
    target = _resolve_any(by_url, resources, requester.reference)
    kind = target.get_resource_type() if target is not None else None
    if kind == "PractitionerRole":
        where = f"{where}.resolve().organization"
        organisation = target.organization
        if organisation is None:
            return None, [(where, "a PractitionerRole must name its Organization")]
        if organisation.reference is None:
            return _logical_ods(organisation, where, "Organization")
        target = _resolve_any(by_url, resources, organisation.reference)
        kind = target.get_resource_type() if target is not None else None
    if kind != "Organization":
        return None, [
            (where, "must be an Organization or PractitionerRole in the bundle, or a logical "
             "reference by ODS code")
        ]  # fmt: skip
    ods = _identifier(target.identifier, ODS_SYSTEM)
    if ods is None or not ODS_CODE.match(ods):
        return None, [(f"{where}.resolve().identifier", f"an ODS code ({ODS_SYSTEM}) is needed")]
    return ods, []


def _logical_ods(reference: Any, where: str, kind: str) -> tuple[str | None, list[Problem]]:
    identifier = reference.identifier
    if identifier is None:
        return None, [(where, "a reference, or a logical reference by ODS code, is needed")]
    if reference.type not in (None, kind):
        return None, [(f"{where}.type", f"a logical reference by ODS code is to an {kind}")]
    if identifier.system != ODS_SYSTEM:
        return None, [(f"{where}.identifier.system", f"must be {ODS_SYSTEM}")]
    if not identifier.value or not ODS_CODE.match(identifier.value):
        return None, [(f"{where}.identifier.value", "not an ODS code (3 to 10 capitals, digits)")]
    return identifier.value, []


def _resolve_any(by_url: dict[str, Any], resources: list[Any], reference: Any) -> Any:
    found = by_url.get(reference) if isinstance(reference, str) else None
    if found is None and isinstance(reference, str) and "/" in reference:
        kind_of, _, rid = reference.partition("/")
        found = next(
            (r for r in resources if r.get_resource_type() == kind_of and r.id == rid), None
        )
    return found


def _resolve(by_url: dict[str, Any], resources: list[Any], reference: Any, kind: str) -> Any:
    found = _resolve_any(by_url, resources, reference)
    return found if found is not None and found.get_resource_type() == kind else None


def _identifier(identifiers: Any, system: str) -> str | None:
    return next((i.value for i in identifiers or () if i.system == system), None)


def _code(concepts: Any, system: str) -> str | None:
    for concept in concepts or ():
        for coding in concept.coding or ():
            if coding.system == system:
                return str(coding.code)
    return None


def _family_contact(family: Any, patient: Any) -> dict[str, Any] | None:
    who = family or next(iter(patient.contact or ()), None)
    if who is None:
        return None
    names = who.name if isinstance(who.name, list) else [who.name] if who.name else []
    name = names[0] if names else None
    full = (name.text or " ".join([*(name.given or []), name.family or ""]).strip()) if name else ""
    telecom = {t.system: t.value for t in reversed(who.telecom or ())}
    return {
        "name": full or None,
        "email": telecom.get("email"),
        "phone": telecom.get("phone"),
        "preferred_channel": "email" if telecom.get("email") else "sms",
    }


def _postal_address(
    family: Any, patient: Any, at: dict[int, str]
) -> tuple[str, list[tuple[str, str]], str | None] | None:
    """The family's postal address: the RelatedPerson's first, else the first Patient.contact's
    with one. Its FHIRPath, its lines (``line``, then ``city`` and ``district``) each with its
    own FHIRPath, and its ``postalCode``; None when the bundle gives none."""
    found: tuple[str, Any] | None
    if family is not None and family.address:
        found = (f"{at.get(id(family), 'RelatedPerson')}.address[0]", family.address[0])
    else:
        found = next(
            (
                (f"{at.get(id(patient), 'Patient')}.contact[{i}].address", c.address)
                for i, c in enumerate(patient.contact or ())
                if c.address is not None
            ),
            None,
        )
    if found is None:
        return None
    base, address = found
    lines = [(f"{base}.line[{i}]", str(text)) for i, text in enumerate(address.line or ())]
    lines += [(f"{base}.{part}", getattr(address, part)) for part in ("city", "district")]
    present = [(path, text) for path, text in lines if text]
    return base, present, address.postalCode


def where(field: tuple[str | int, ...], paths: dict[str, str] | None = None) -> str:
    """The FHIRPath a referral field (a location in ``POST /v1/referrals``' body) came from;
    ``paths``: the places in this bundle some fields came from (``PartnerReferral.paths``)."""
    table = MAPPING | (paths or {})
    names = [str(p) for p in field if not isinstance(p, int)]
    for cut in range(len(names), 0, -1):
        path = table.get(".".join(names[:cut]))
        if path is not None:
            return path
    return ".".join(names) or "Bundle"


PROGRESS_SYSTEM = "https://send-platform.uk/fhir/CodeSystem/referral-progress"
PROGRESS: dict[str, str] = {
    "plan-drafted": "support plan drafted",
    "waitlisted": "waiting for a specialist",
    "specialist-assigned": "specialist assigned",
}
"""The later milestones a partner is told of: ``Task.businessStatus`` code -> its text."""


def task(
    referral_id: UUID, request_id: str, link: str, progress: str | None = None
) -> dict[str, Any]:
    """The FHIR ``Task`` telling the partner its referral is ours: our id and a link. Without
    ``progress`` it is the answer (``accepted``); with a ``PROGRESS`` code, the same Task
    (same identifiers) ``in-progress`` with that milestone as its ``businessStatus``."""
    business: dict[str, Any] = {"text": "referral received"}
    if progress is not None:
        business = {
            "coding": [{"system": PROGRESS_SYSTEM, "code": progress}],
            "text": PROGRESS[progress],
        }
    resource = Task.model_validate(
        {
            "resourceType": "Task",
            "status": "accepted" if progress is None else "in-progress",
            "intent": "order",
            "identifier": [{"system": REFERRAL_ID_SYSTEM, "value": str(referral_id)}],
            "groupIdentifier": {"value": request_id},
            "businessStatus": business,
            "output": [{"type": {"text": "caseworker link"}, "valueUrl": link}],
        }
    )
    return resource.model_dump(mode="json", exclude_none=True)


def link_of(accepted_task: dict[str, Any]) -> str:
    """The caseworker link an accepted ``Task`` carries (its first output)."""
    return str(accepted_task["output"][0]["valueUrl"])


def task_id_of(accepted_task: dict[str, Any]) -> UUID:
    """Our id an accepted ``Task`` gave the partner (its first identifier)."""
    return UUID(accepted_task["identifier"][0]["value"])


def rejected(problems: list[Problem], code: str = "invalid") -> dict[str, Any]:
    """The FHIR ``OperationOutcome`` naming each problem's FHIRPath and why; ``code`` is the
    issues' type (``invalid``: the message; ``exception``: an unexpected error here)."""
    outcome = OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "error", "code": code, "diagnostics": why, "expression": [where]}
                for where, why in problems
            ],
        }
    )
    return outcome.model_dump(mode="json", exclude_none=True)
