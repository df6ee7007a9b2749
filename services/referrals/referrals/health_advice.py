"""Health advice both ways (Reg 6(1)(c)): when a caseworker asks for advice of a kind the
council takes from an NHS partner over Kafka (``ADVICE_PARTNERS``), the partner is sent a FHIR
``Task`` on its own topic (``PartnerAdviceRequested``) with what it needs to find the child and
answer; its answer (``referrals.partner_advice``) is received on the clock. ``advice_task`` is
pure; ``ask_partners`` runs in the caseworker's unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from fhir.resources.R4B.task import Task

from referrals import repository
from referrals.domain import reference
from referrals.partner_checks import NHS_NUMBER_SYSTEM
from shared.events import AdviceRequested, PartnerAdviceRequested
from shared.unit_of_work import UnitOfWork

ADVICE_TASK_SYSTEM = "https://send-platform.uk/Id/advice-request"
ADVICE_KIND_SYSTEM = "https://send-platform.uk/fhir/CodeSystem/advice-kind"
REFERRAL_ID_SYSTEM = "https://send-platform.uk/Id/referral"
COUNCIL_SYSTEM = "https://send-platform.uk/Id/ons-council-code"
ADVICE_WORDS = {
    "medical": "Medical advice and information for an EHC needs assessment (SEND Regulations "
    "2014, regulation 6(1)(c)), due within 6 weeks of this request (regulation 8)",
}


def task_id_of(referral_id: UUID, kind: str) -> UUID:
    """The Task's identifier: one per referral and kind (asked again, the same Task)."""
    return uuid5(NAMESPACE_URL, f"advice-request:{referral_id}:{kind}")


def advice_task(
    task_id: UUID,
    referral_id: UUID,
    kind: str,
    *,
    council: str,
    requested_on: date,
    due_on: date,
    child: Mapping[str, Any],
) -> dict[str, Any]:
    """The FHIR ``Task`` asking for advice: who it is about (NHS number when known, name, date
    of birth), the request's reference, what is asked and by when. Pure."""
    subject: dict[str, Any] = {
        "display": " ".join(n for n in (child["given_name"], child["family_name"]) if n)
    }
    if child["nhs_number"]:
        subject["identifier"] = {"system": NHS_NUMBER_SYSTEM, "value": child["nhs_number"]}
    resource = Task.model_validate(
        {
            "resourceType": "Task",
            "status": "requested",
            "intent": "order",
            "identifier": [{"system": ADVICE_TASK_SYSTEM, "value": str(task_id)}],
            "groupIdentifier": {"system": REFERRAL_ID_SYSTEM, "value": str(referral_id)},
            "code": {
                "coding": [{"system": ADVICE_KIND_SYSTEM, "code": kind}],
                "text": ADVICE_WORDS.get(kind, f"{kind} advice for an EHC needs assessment"),
            },
            "for": subject,
            "requester": {"identifier": {"system": COUNCIL_SYSTEM, "value": council}},
            "authoredOn": requested_on.isoformat(),
            "restriction": {"period": {"end": due_on.isoformat()}},
            "input": [
                {"type": {"text": "date of birth"}, "valueDate": child["date_of_birth"]},
                {"type": {"text": "reference"}, "valueString": reference(referral_id)},
            ],
        }
    )
    return resource.model_dump(mode="json", exclude_none=True, by_alias=True)


async def ask_partners(
    uow: UnitOfWork, event: AdviceRequested, partners: Mapping[str, Mapping[str, str]]
) -> None:
    """For each kind asked that the council takes from an NHS partner: the Task on the
    partner's own topic (after the commit, by the outbox), and the request kept so only that
    partner's answer is taken."""
    kinds = {k: p for k, p in partners.get(event.local_authority, {}).items() if k in event.kinds}
    if not kinds:
        return
    child = await repository.child_details(uow.conn, event.referral_id)
    assert child is not None  # the referral's own, locked by the step
    for kind, partner in sorted(kinds.items()):
        task_id = task_id_of(event.referral_id, kind)
        await uow.conn.execute(
            """INSERT INTO partner_advice_requests
                   (task_id, referral_id, local_authority, kind, partner, requested_on, due_on)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            task_id,
            event.referral_id,
            event.local_authority,
            kind,
            partner,
            event.requested_on,
            event.due_on,
        )
        task = advice_task(
            task_id,
            event.referral_id,
            kind,
            council=event.local_authority,
            requested_on=event.requested_on,
            due_on=event.due_on,
            child=dict(child),
        )
        uow.add(
            PartnerAdviceRequested(
                referral_id=event.referral_id,
                partner=partner,
                kind=kind,
                due_on=event.due_on,
                resource=task,
            ),
            local_authority=event.local_authority,
        )


DOCUMENT_ID_SYSTEM = "https://send-platform.uk/Id/document"


def advice_received_task(task_id: UUID, document_id: UUID) -> dict[str, Any]:
    """The answer to a partner's advice: its Task completed, naming the document it is kept
    as. Pure."""
    resource = Task.model_validate(
        {
            "resourceType": "Task",
            "status": "completed",
            "intent": "order",
            "identifier": [{"system": ADVICE_TASK_SYSTEM, "value": str(task_id)}],
            "businessStatus": {"text": "advice received"},
            "output": [
                {
                    "type": {"text": "advice"},
                    "valueReference": {
                        "identifier": {"system": DOCUMENT_ID_SYSTEM, "value": str(document_id)}
                    },
                }
            ],
        }
    )
    return resource.model_dump(mode="json", exclude_none=True, by_alias=True)
