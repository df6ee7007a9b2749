"""An NHS partner's answer to a request for advice (``referrals.health_advice``): a FHIR R4
``DocumentReference`` in a CloudEvent of type ``ADVICE_EVENT_TYPE`` on the partner's inbound
topic, naming the Task it answers (``context.related``), with the advice as a PDF
(``content[0].attachment``) and, optionally, the adviser's structured summary for section K
(the ``SUMMARY_EXTENSION``). ``read_advice`` is pure; ``take_advice`` records it received on
the clock, in the partner's unit of work, as an adviser's link does (``AdviceReceived``, with
the document and the summary: plans appends both to section K). Problems name their FHIRPath,
never a value.

(Longer than most modules: the answer's reading and its receipt on the clock are one partner
contract, checked together.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fhir.resources.R4B.documentreference import DocumentReference
from pydantic import ValidationError

from referrals import ehc_api, ehc_repository
from referrals.documents import repository as documents
from referrals.documents.content import Checked, Refused, check
from referrals.fhir_bundle import Problem, Rejected, fhir_path
from referrals.health_advice import ADVICE_TASK_SYSTEM
from referrals.intake import safe_text
from referrals.statutory import AdviceKind, InvalidStep, OutOfOrder
from shared.dates import london_today
from shared.events import AdviceSummary, DomainEvent
from shared.unit_of_work import UnitOfWork

ADVICE_EVENT_TYPE = "uk.nhs.advice.document-reference.v1"
SUMMARY_EXTENSION = "https://send-platform.uk/fhir/StructureDefinition/advice-summary"
SUMMARY_PARTS = {
    "needs": "needs",
    "outcomes-sought": "outcomes_sought",
    "provision-recommended": "provision_recommended",
}
"""The summary's parts: each a sub-extension (``url``) with a ``valueString``."""
MAX_SUMMARY = 4000


@dataclass(frozen=True)
class PartnerAdvice:
    """The advice as the partner sent it: the Task answered, the PDF and its summary."""

    task_id: UUID
    content: bytes
    filename: str
    checked: Checked
    summary: AdviceSummary | None


def read_advice(data: Any) -> PartnerAdvice:
    """The advice a ``DocumentReference`` carries; raises ``Rejected`` saying where and why."""
    if not isinstance(data, dict) or data.get("resourceType") != "DocumentReference":
        raise Rejected([("resourceType", "expected DocumentReference")])
    try:
        document = DocumentReference.model_validate(data)
    except ValidationError as exc:
        raise Rejected(
            [
                (
                    fhir_path(tuple(e["loc"]), "DocumentReference"),
                    e["msg"].removeprefix("Value error, "),
                )
                for e in exc.errors()
            ]
        ) from exc
    problems: list[Problem] = []
    if document.status != "current":
        problems.append(("DocumentReference.status", "must be current"))
    task_id = _task_answered(document, problems)
    content, filename, checked = _pdf(document, problems)
    summary = _summary(document, problems)
    if problems or task_id is None or content is None or checked is None:
        raise Rejected(problems)
    return PartnerAdvice(task_id, content, filename, checked, summary)


def _task_answered(document: Any, problems: list[Problem]) -> UUID | None:
    related = document.context.related if document.context else None
    for reference in related or ():
        identifier = reference.identifier
        if identifier is not None and identifier.system == ADVICE_TASK_SYSTEM:
            try:
                return UUID(str(identifier.value))
            except ValueError:
                break
    problems.append(
        (
            "DocumentReference.context.related",
            f"must name the advice Task answered (its identifier, {ADVICE_TASK_SYSTEM})",
        )
    )
    return None


def _pdf(document: Any, problems: list[Problem]) -> tuple[bytes | None, str, Checked | None]:
    where = "DocumentReference.content[0].attachment"
    attachment = document.content[0].attachment if document.content else None
    if attachment is None or attachment.contentType != "application/pdf" or not attachment.data:
        problems.append((where, "the advice as a PDF: contentType application/pdf, with data"))
        return None, "", None
    filename = (attachment.title or "advice").strip()[:190]
    filename = filename if filename.lower().endswith(".pdf") else f"{filename}.pdf"
    content = attachment.data  # the model decoded its base64 (a failure names the path)
    if not isinstance(content, bytes):
        problems.append((f"{where}.data", "not base64"))
        return None, filename, None
    try:
        checked = check(content, filename)
    except Refused as exc:
        problems.append((f"{where}.data", str(exc)))
        return None, filename, None
    if checked.file_type.media_type != "application/pdf":
        problems.append((f"{where}.data", "not a PDF"))
        return None, filename, None
    return content, filename, checked


def _summary(document: Any, problems: list[Problem]) -> AdviceSummary | None:
    for i, extension in enumerate(document.extension or ()):
        if extension.url != SUMMARY_EXTENSION:
            continue
        where = f"DocumentReference.extension[{i}]"
        parts: dict[str, str] = {}
        for j, part in enumerate(extension.extension or ()):
            name = SUMMARY_PARTS.get(part.url or "")
            if name is None or not part.valueString:
                continue
            try:
                text = safe_text(str(part.valueString)).strip()
            except ValueError as exc:
                problems.append((f"{where}.extension[{j}].valueString", str(exc)))
                continue
            if len(text) > MAX_SUMMARY:
                problems.append(
                    (f"{where}.extension[{j}].valueString", f"longer than {MAX_SUMMARY} characters")
                )
                continue
            parts[name] = text
        missing = [url for url, name in SUMMARY_PARTS.items() if name not in parts]
        if missing:
            problems.append((where, f"a summary needs each part: {', '.join(missing)}"))
            return None
        return AdviceSummary(**parts)
    return None


async def take_advice(
    uow: UnitOfWork, advice: PartnerAdvice, partner: str, council: str, document_id: UUID
) -> tuple[UUID | None, list[Problem]]:
    """The advice received today on the clock, with its document (``document_id``: its bytes
    already in the store) and summary: ``AdviceReceived`` and its timeline step. The problems
    when it cannot be (a Task not this partner's, advice no longer asked for or received
    already), nothing recorded then; and the referral it is about, when known."""
    where = "DocumentReference.context.related"
    asked = await uow.conn.fetchrow(
        """SELECT referral_id, kind, document_id FROM partner_advice_requests
           WHERE task_id = $1 AND partner = $2 AND local_authority = $3 FOR UPDATE""",
        advice.task_id,
        partner,
        council,
    )
    if asked is None:
        return None, [(where, "names no advice this partner was asked for")]
    referral_id, kind = asked["referral_id"], asked["kind"]
    if asked["document_id"] is not None:
        return referral_id, [(where, "this advice was received already")]
    found = await ehc_repository.load(uow.conn, referral_id)
    requested = await ehc_repository.advice_requested(uow.conn, referral_id)
    if found is None or kind not in requested:
        return referral_id, [(where, "this advice is no longer asked for")]
    today = london_today()
    try:
        event: DomainEvent = found[0].receive_advice(
            AdviceKind(kind), requested[kind], today, today,
            document_id=document_id, summary=advice.summary,
        )  # fmt: skip
    except (OutOfOrder, InvalidStep) as exc:
        return referral_id, [(where, str(exc))]
    if not await ehc_repository.receive_advice(uow.conn, referral_id, kind, today):
        return referral_id, [(where, "this advice was received already")]
    await documents.add(
        uow.conn,
        documents.NewDocument(
            id=document_id,
            referral_id=referral_id,
            local_authority=council,
            kind="advice",
            advice_kind=kind,
            filename=advice.filename,
            checked=advice.checked,
            uploaded_by=f"partner:{partner}",
        ),
    )
    uow.changed("create", "document", referral_id=referral_id, local_authority=council)
    await uow.conn.execute(
        """UPDATE partner_advice_requests SET document_id = $2, answered_at = now()
           WHERE task_id = $1""",
        advice.task_id,
        document_id,
    )
    await ehc_api.record_step(uow, event, kind)
    return referral_id, []
