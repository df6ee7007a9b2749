"""A decision's letter written, printed and kept in the document store within the step's unit
of work: the bytes are put before the document's row commits (as an upload's are) and removed
again if the step fails, so no letter is kept without its decision, nor a decision recorded
without its letter. Printing blocks, so it runs in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

import anyio.to_thread
from fastapi import Depends, Request

from referrals.documents import repository
from referrals.documents.content import check
from referrals.documents.store import DocumentStore, StoredKey
from referrals.domain import reference
from referrals.notices.council import CouncilNotices, notices_for
from referrals.notices.letters import Letter, LetterKind, pdf
from referrals.state import referrals_of
from shared.db import Connection
from shared.events import (
    AmendedPlanIssued,
    AnnualReviewStep,
    AssessmentDecided,
    CeasingStep,
    DomainEvent,
    DraftPlanIssued,
    FinalPlanIssued,
    PlanCeasingDecided,
    PlanIssueDecided,
    StatutoryStep,
)
from shared.state import service_of


@dataclass(frozen=True)
class Decided:
    """What a letter says of a decision, from the step's event."""

    kind: LetterKind
    dated: date
    reason: str | None = None
    appeal_by: date | None = None
    comments_due: date | None = None


def decided(event: DomainEvent) -> Decided | None:
    """The letter a step's event calls for, or None (a step that is not a decision)."""
    match event:
        case AssessmentDecided(decision="assess"):
            return Decided(LetterKind.ASSESSMENT_AGREED, event.decided_on)
        case AssessmentDecided():
            kind = LetterKind.ASSESSMENT_REFUSED
            return Decided(kind, event.decided_on, event.refusal_reason, event.appeal_by)
        case PlanIssueDecided(decision="issue"):
            return Decided(LetterKind.PLAN_TO_BE_ISSUED, event.decided_on)
        case PlanIssueDecided():
            kind = LetterKind.PLAN_NOT_ISSUED
            return Decided(kind, event.decided_on, event.reason, event.appeal_by)
        case DraftPlanIssued():
            return Decided(LetterKind.DRAFT_PLAN, event.issued_on, comments_due=event.comments_due)
        case FinalPlanIssued():
            return Decided(LetterKind.FINAL_PLAN, event.issued_on, appeal_by=event.appeal_by)
        case AmendedPlanIssued():
            return Decided(LetterKind.AMENDED_PLAN, event.issued_on, appeal_by=event.appeal_by)
        case PlanCeasingDecided(decision="cease"):
            kind = LetterKind.CEASE_DECIDED
            return Decided(kind, event.decided_on, event.reason, event.appeal_by)
    return None


@dataclass
class LetterDesk:
    """Where a step's letters go: the store, each council's details, and the letters put in
    the store by this request (removed again if its step fails)."""

    store: DocumentStore
    councils: dict[str, CouncilNotices]
    stored: list[StoredKey] = field(default_factory=list)

    async def keep(
        self, conn: Connection, event: DomainEvent, note: str | None, by: str
    ) -> UUID | None:
        """The letter ``event`` calls for, printed and kept as the referral's document (kind
        ``letter``); its id, or None when the step calls for none."""
        decision = decided(event)
        if decision is None or not isinstance(
            event, StatutoryStep | AnnualReviewStep | CeasingStep
        ):
            return None
        council, referral_id = event.local_authority, event.referral_id
        child = await conn.fetchval(
            """SELECT CASE WHEN c.erased_at IS NULL THEN c.given_name || ' ' || c.family_name END
               FROM referrals r JOIN children c ON c.id = r.child_id WHERE r.id = $1""",
            referral_id,
        )
        letter = Letter(
            kind=decision.kind,
            reference=reference(referral_id),
            child_name=child,
            dated=decision.dated,
            council=notices_for(self.councils, council),
            reason=decision.reason,
            note=note,
            appeal_by=decision.appeal_by,
            comments_due=decision.comments_due,
        )
        content = await anyio.to_thread.run_sync(pdf, letter)
        document = repository.NewDocument(
            id=uuid4(),
            referral_id=referral_id,
            local_authority=council,
            kind="letter",
            filename=letter.filename,
            checked=check(content, letter.filename),
            uploaded_by=by,
            letter_kind=letter.kind.value,
        )
        key = StoredKey(document.id, council)
        await self.store.put(key, content)
        self.stored.append(key)
        if await repository.add(conn, document) is None:  # the same letter: kept already
            await self.store.remove(key)
            self.stored.remove(key)
            same = await repository.same_file(conn, referral_id, "letter", document.checked.sha256)
            return UUID(str(same["id"]))
        return document.id

    async def forget(self) -> None:
        """The step failed: its letters' bytes go."""
        for key in self.stored:
            await self.store.remove(key)
        self.stored.clear()


def letter_desk_of(request: Request) -> LetterDesk:
    service = service_of(request)
    own = referrals_of(service.own)
    return LetterDesk(own.document_store(service.database), own.council_notices)


Letters = Annotated[LetterDesk, Depends(letter_desk_of)]
