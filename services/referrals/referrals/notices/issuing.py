"""A decision's letter written, printed and put in the document store before its step's unit
of work, with no lock held and no transaction open (the store may be a bucket across a
network); the step then records it with the decision, re-checked under the request's lock. The
bytes are put before the document's row commits (as an upload's are) and removed again if the
step fails or the request changed meanwhile, so no letter is kept without its decision, nor a
decision recorded without its letter. Printing blocks, so it runs in a worker thread.

(Longer than most modules: writing a letter first and keeping it with its step are one
protocol, read together.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

import anyio.to_thread
from fastapi import Depends, Request

from referrals.documents import repository
from referrals.documents.content import Checked, check
from referrals.documents.store import DocumentStore, StoredKey
from referrals.domain import reference
from referrals.notices.council import CouncilNotices, notices_for
from referrals.notices.letters import Letter, LetterKind, pdf
from referrals.state import referrals_of
from referrals.statutory import OutOfOrder
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
    ReassessmentConcluded,
    ReassessmentDecided,
    ReassessmentStep,
    StatutoryStep,
)
from shared.state import service_of
from shared.unit_of_work import UnitOfWork


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
        case ReassessmentDecided(reassess=True):
            return Decided(LetterKind.REASSESSMENT_AGREED, event.decided_on)
        case ReassessmentDecided():
            kind = LetterKind.REASSESSMENT_REFUSED
            return Decided(kind, event.decided_on, appeal_by=event.appeal_by)
        case ReassessmentConcluded(outcome="plan_amended"):
            kind = LetterKind.REASSESSMENT_PLAN_AMENDED
            return Decided(kind, event.concluded_on, appeal_by=event.appeal_by)
        case ReassessmentConcluded():
            kind = LetterKind.REASSESSMENT_NOT_AMENDED
            return Decided(kind, event.concluded_on, appeal_by=event.appeal_by)
    return None


_LETTERED = (StatutoryStep, AnnualReviewStep, CeasingStep, ReassessmentStep)
"""The steps whose decisions call for a letter (each carries its referral and council)."""


class LetterNotWritten(OutOfOrder):
    """The step now calls for a letter other than the one written before it was recorded
    (the request changed meanwhile): nothing is recorded (409), and the letter's bytes go."""


class _Decided(Exception):
    """The step decided in a unit of work that is rolled back: the letter it calls for."""

    def __init__(self, letter: Letter | None, council: str) -> None:
        super().__init__("decided")
        self.letter, self.council = letter, council


@dataclass(frozen=True)
class _Written:
    letter: Letter
    key: StoredKey
    checked: Checked


@dataclass
class LetterDesk:
    """Where a step's letters go: the store, each council's details, and the letters put in
    the store by this request (removed again if its step fails).

    A letter is written before its step is recorded (``write_first``: the step decided under
    the request's lock in a unit of work that is rolled back, then printed and put in the
    store with no lock held and no transaction open: the store may be a bucket across a
    network); the step's own unit of work then decides again under the lock and keeps the
    letter's row only when the decision is still the one written (``keep``), else nothing is
    recorded (``LetterNotWritten``, or the step's own 409) and the bytes go (``forget``)."""

    store: DocumentStore
    councils: dict[str, CouncilNotices]
    stored: list[StoredKey] = field(default_factory=list)
    written: list[_Written] = field(default_factory=list)
    unused: list[StoredKey] = field(default_factory=list)

    async def letter(self, conn: Connection, event: DomainEvent, note: str | None) -> Letter | None:
        """The letter ``event`` calls for, with ``note`` as its individual reasons, or None
        when the step calls for none."""
        decision = decided(event)
        if decision is None or not isinstance(event, _LETTERED):
            return None
        child = await conn.fetchval(
            """SELECT CASE WHEN c.erased_at IS NULL THEN c.given_name || ' ' || c.family_name END
               FROM referrals r JOIN children c ON c.id = r.child_id WHERE r.id = $1""",
            event.referral_id,
        )
        return Letter(
            kind=decision.kind,
            reference=reference(event.referral_id),
            child_name=child,
            dated=decision.dated,
            council=notices_for(self.councils, event.local_authority),
            reason=decision.reason,
            note=note,
            appeal_by=decision.appeal_by,
            comments_due=decision.comments_due,
        )

    async def write_first(
        self,
        begin: Callable[[], AbstractAsyncContextManager[UnitOfWork]],
        decide: Callable[[UnitOfWork], Awaitable[DomainEvent]],
        note: str | None,
    ) -> None:
        """The letter of the step ``decide`` takes, printed and put in the store before the
        step is recorded: ``decide`` runs in a unit of work (``begin``) that is rolled back,
        so the request's lock is held only while deciding. A step that cannot be taken now
        writes nothing here: its own unit of work answers as it would (its 409 or 422, or a
        retry's first answer)."""
        try:
            async with begin() as uow:
                event = await decide(uow)
                letter = await self.letter(uow.conn, event, note)
                raise _Decided(letter, getattr(event, "local_authority", ""))
        except _Decided as decision:
            if decision.letter is not None:
                await self.write(decision.letter, decision.council)
        except Exception:  # the step's own unit of work says why
            return

    async def write(self, letter: Letter, council: str) -> StoredKey:
        """``letter`` printed (in a worker thread: printing blocks) and its bytes put in the
        store (no transaction open); kept for ``keep``."""
        content = await anyio.to_thread.run_sync(pdf, letter)
        key = StoredKey(uuid4(), council)
        checked = check(content, letter.filename)
        await self.store.put(key, content)
        self.stored.append(key)
        self.written.append(_Written(letter, key, checked))
        return key

    async def keep(
        self, conn: Connection, event: DomainEvent, note: str | None, by: str
    ) -> UUID | None:
        """The letter ``event`` calls for, written already (``write_first``), kept as the
        referral's document (kind ``letter``); its id, or None when the step calls for none.
        ``LetterNotWritten`` when the letter written is not this step's."""
        letter = await self.letter(conn, event, note)
        if letter is None:
            return None
        written = next((w for w in self.written if w.letter == letter), None)
        if written is None:
            raise LetterNotWritten(
                "the request changed while its letter was written: nothing was recorded; "
                "send the step again"
            )
        assert isinstance(event, _LETTERED)  # a letter: one of them
        document = repository.NewDocument(
            id=written.key.document_id,
            referral_id=event.referral_id,
            local_authority=event.local_authority,
            kind="letter",
            filename=letter.filename,
            checked=written.checked,
            uploaded_by=by,
            letter_kind=letter.kind.value,
        )
        if await repository.add(conn, document) is None:  # the same letter: kept already
            self.unused.append(written.key)
            same = await repository.same_file(
                conn, event.referral_id, "letter", written.checked.sha256
            )
            return UUID(str(same["id"]))
        return document.id

    async def done(self) -> None:
        """The step committed: bytes of a letter kept already go (no transaction open)."""
        for key in self.unused:
            await self.store.remove(key)
        self.unused.clear()

    async def forget(self) -> None:
        """The step failed: its letters' bytes go."""
        for key in self.stored:
            await self.store.remove(key)
        self.stored.clear()
        self.written.clear()
        self.unused.clear()


async def letter_desk_of(request: Request) -> LetterDesk:
    service = service_of(request)
    own = referrals_of(service.own)
    return LetterDesk(own.document_store(service.database), own.council_notices)


Letters = Annotated[LetterDesk, Depends(letter_desk_of)]
