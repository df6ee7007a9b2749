"""HTTP routes of the statutory EHC process: each step a caseworker (or manager) records, in
the order the law sets, each an event on its own topic and a step on the timeline.

(Longer than most modules: one short route per statutory step, read best in the law's order in
one file.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from referrals import ehc_repository, repository
from referrals.domain import StatutoryStep
from referrals.ehc_schemas import (
    AdviceExcused,
    AdviceReceipt,
    AdviceRequest,
    AssessmentDecision,
    DraftPlan,
    EhcView,
    Escalation,
    ExceptionRecord,
    ExistingAdvice,
    FamilyAdviceAsk,
    FinalPlan,
    Mediation,
    PlanDecision,
    SuggestionDecided,
    SuggestionDecision,
)
from referrals.health_advice import ask_partners
from referrals.notices.issuing import LetterDesk, Letters
from referrals.notices.telling import others_told
from referrals.plan_steps import record_draft, record_final
from referrals.state import referrals_of
from referrals.statutory import (
    CLOSED,
    AdviceKind,
    Deadline,
    EhcRequest,
    InvalidStep,
    Needs,
    OutOfOrder,
    StatutoryException,
)
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow
from shared.dates import london_today
from shared.db import Connection
from shared.events import (
    AdviceReceived,
    AdviceRequested,
    AssessmentDecided,
    DomainEvent,
    DraftPlanIssued,
    EhcAssessmentRequested,
    ExistingAdviceAgreed,
    FinalPlanIssued,
    PlanIssueDecided,
    StatutoryExceptionRecorded,
)
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, invalid
from shared.idempotency import IdempotencyKey, key_reused, replayed
from shared.unit_of_work import KeyReused, UnitOfWork

router = APIRouter(
    prefix="/v1/referrals/{referral_id}",
    tags=["statutory EHC process"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)

STEP_OF: dict[type[DomainEvent], StatutoryStep] = {
    EhcAssessmentRequested: StatutoryStep.EHC_REQUESTED,
    AssessmentDecided: StatutoryStep.ASSESSMENT_DECIDED,
    AdviceRequested: StatutoryStep.ADVICE_REQUESTED,
    AdviceReceived: StatutoryStep.ADVICE_RECEIVED,
    ExistingAdviceAgreed: StatutoryStep.EXISTING_ADVICE_AGREED,
    PlanIssueDecided: StatutoryStep.PLAN_ISSUE_DECIDED,
    DraftPlanIssued: StatutoryStep.DRAFT_PLAN_ISSUED,
    FinalPlanIssued: StatutoryStep.FINAL_PLAN_ISSUED,
    StatutoryExceptionRecorded: StatutoryStep.EXCEPTION_RECORDED,
}

Taken = tuple[DomainEvent, str | None]
"""A step taken: its event, and the detail its timeline entry shows."""
Act = Callable[[Connection, EhcRequest, Needs], Awaitable[Taken]]
"""A step: checked against the request (the domain decides), stored, and taken."""


@dataclass(frozen=True)
class Retry:
    """A step POSTed with an Idempotency-Key: a retry gets the first answer and records
    nothing; the same key with another step or body is refused (422)."""

    key: str
    path: str

    def request(self, body: BaseModel) -> dict[str, Any]:
        """The request as retries are compared: the step (its path) and its body."""
        return {"path": self.path, "body": body.model_dump(mode="json")}


async def step_retry(request: Request, idempotency_key: IdempotencyKey = None) -> Retry | None:
    return None if idempotency_key is None else Retry(idempotency_key, request.url.path)


StepRetry = Annotated[Retry | None, Depends(step_retry)]


async def one_step(
    caller: AsCaller,
    retry: Retry | None,
    body: BaseModel,
    step: Callable[[UnitOfWork], Awaitable[Any]],
    *,
    date_field: str = "on",
) -> Any:
    """``step`` in one unit of work as the caller; what it answers (a model, or a list of
    them: an annual review's steps answer the plan's reviews), kept for a retry (``retry``:
    its key is claimed first, so a retry racing the first waits for it, then gets the first
    answer)."""
    try:
        async with caller.begin(
            idempotency_key=retry.key if retry else None,
            request=retry.request(body) if retry else None,
        ) as uow:
            if uow.replayed is not None:
                return replayed(uow.replayed)
            view = await step(uow)
            uow.answer(status.HTTP_200_OK, jsonable_encoder(view))
    except KeyReused as exc:
        raise key_reused(exc) from exc
    except OutOfOrder as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except InvalidStep as exc:
        raise invalid([((date_field if exc.field == "on" else exc.field,), str(exc))]) from exc
    return view


async def _take_step(
    caller: AsCaller,
    referral_id: UUID,
    act: Act,
    *,
    date_field: str,
    retry: Retry | None,
    body: BaseModel,
    letters: LetterDesk | None = None,
    note: str | None = None,
    then: Callable[[UnitOfWork, DomainEvent], Awaitable[None]] | None = None,
) -> Any:
    """Lock the request, let ``act`` check and store the step, then its event, its timeline
    entry and its audit row, all in one unit of work; the request as it now stands. A decision
    (``letters``) also writes the family's letter, with ``note`` as its individual reasons:
    decided first and printed and put in the document store with no lock held and no
    transaction open (``LetterDesk.write_first``), then kept in the step's unit of work, which
    decides again under the lock (the request changed meanwhile: 409, and the bytes go; they go
    too if the step fails). ``then``: what else the step causes in the same unit of work."""

    async def decide(uow: UnitOfWork) -> DomainEvent:
        event, _ = await act(uow.conn, *await _locked(uow, referral_id))
        return event

    async def step(uow: UnitOfWork) -> EhcView:
        event, detail = await act(uow.conn, *await _locked(uow, referral_id))
        if letters is not None:
            await letters.keep(uow.conn, event, note, caller.actor.subject)
        if then is not None:
            await then(uow, event)
        return await record_step(uow, event, detail)

    try:
        if letters is not None:
            await letters.write_first(caller.begin, decide, note)
        view = await one_step(caller, retry, body, step, date_field=date_field)
    except BaseException:
        if letters is not None:
            await letters.forget()
        raise
    if letters is not None:
        await letters.done()
    return view


async def _locked(uow: UnitOfWork, referral_id: UUID) -> tuple[EhcRequest, Needs]:
    """The EHC request, locked; 404 for an unknown referral (or another council's), 409 for
    a support request."""
    found = await ehc_repository.load(uow.conn, referral_id)
    if found is None:
        track = await uow.conn.fetchval("SELECT track FROM referrals WHERE id = $1", referral_id)
        if track is None:  # unknown, or another council's: the same answer
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        raise OutOfOrder("a support request: escalate it to an EHC request first")
    return found


async def record_step(uow: UnitOfWork, event: DomainEvent, detail: str | None) -> EhcView:
    """The step's event (audited as an update of the EHC request: ``shared.audits``) and its
    timeline entry; the request as it now stands."""
    uow.add(event)
    await repository.add_step(
        uow.conn,
        referral_id=event.referral_id,
        event_id=uuid4(),  # the timeline's key for the step; the event follows on commit
        step=STEP_OF[type(event)],
        service="referrals",
        occurred_at=await uow.conn.fetchval("SELECT now()"),
        detail=detail,
    )
    uow.add(*await others_told(uow, event))
    return EhcView.model_validate(
        await ehc_repository.view(uow.conn, event.referral_id, london_today())
    )


ReferralId = Annotated[UUID, Path()]


@router.post("/escalate", response_model=EhcView)
async def escalate(
    referral_id: ReferralId, body: Escalation, caller: AsCaller, retry: StepRetry
) -> Any:
    """A support request becomes an EHC needs assessment request: the statutory clock starts
    on the day the council received that request. Support already under way goes on. A closed
    referral is not escalated (409): the request is a new referral. With an Idempotency-Key, a
    retried escalation gets the first answer (not a 409 saying it is already one)."""
    today = london_today()
    requested_on = body.requested_on or today

    async def step(uow: UnitOfWork) -> EhcView:
        referral = await _support_request(uow, referral_id)
        if not referral["received_on"] <= requested_on <= today:
            raise invalid(
                [(("requested_on",), f"between the referral ({referral['received_on']}) and today")]
            )
        return await _start(uow, referral_id, referral, requested_on, body.requested_by)

    return await one_step(caller, retry, body, step, date_field="requested_on")


@router.post("/assessment-suggestion", response_model=SuggestionDecided)
async def decide_assessment_suggestion(
    referral_id: ReferralId, body: SuggestionDecision, caller: AsCaller, retry: StepRetry
) -> Any:
    """A health or social care professional asked for an EHC needs assessment: that brought
    the child to the council's attention (s24), and the council decides whether to treat it as
    a request. Treated as one, the clock starts on the day the council received the referral
    (when it became responsible for the child, Reg 5(1)); kept as support, no clock runs. Once
    (409 after, or for a referral no professional asked an assessment for)."""

    async def step(uow: UnitOfWork) -> SuggestionDecided:
        referral = await _support_request(uow, referral_id)
        if not referral["assessment_suggested"]:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                "no professional asked for an EHC needs assessment for this referral",
            )
        await uow.conn.execute(
            "UPDATE referrals SET assessment_suggested = false WHERE id = $1", referral_id
        )
        if body.decision == "treat_as_request":
            started = await _start(
                uow, referral_id, referral, referral["received_on"], referral["requested_by"]
            )
            return SuggestionDecided(decision=body.decision, ehc=started)
        uow.changed(
            "update", "referral",
            referral_id=referral_id, local_authority=referral["local_authority"],
        )  # fmt: skip
        return SuggestionDecided(decision=body.decision, ehc=None)

    return await one_step(caller, retry, body, step, date_field="decision")


async def _support_request(uow: UnitOfWork, referral_id: UUID) -> Any:
    """The referral, locked: an open support request (404, or 409 saying why not)."""
    referral = await uow.conn.fetchrow(
        """SELECT local_authority, track, received_on, closed_at, requested_by,
                  assessment_suggested FROM referrals WHERE id = $1 FOR UPDATE""",
        referral_id,
    )
    if referral is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
    if referral["closed_at"] is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "the referral is closed: an EHC needs assessment request for the child is a new "
            "referral (track ehc)",
        )
    if referral["track"] == "ehc":
        raise HTTPException(status.HTTP_409_CONFLICT, "already an EHC needs assessment request")
    return referral


async def _start(
    uow: UnitOfWork, referral_id: UUID, referral: Any, requested_on: date, by: str
) -> EhcView:
    """The EHC request started on ``requested_on``: its clock, its event, its timeline step."""
    request = EhcRequest(
        referral_id=referral_id,
        local_authority=referral["local_authority"],
        requested_on=requested_on,
        requested_by=by,
        escalated=True,
    )
    await ehc_repository.start(uow.conn, request)
    return await record_step(uow, request.started(), None)


@router.post("/assessment-decision", response_model=EhcView)
async def decide_assessment(
    referral_id: ReferralId,
    body: AssessmentDecision,
    caller: AsCaller,
    retry: StepRetry,
    letters: Letters,
) -> Any:
    """Whether the council will assess (by week 6). A refusal gives its reason; the family's
    letter sets out their right to mediation and to appeal (by ``appeal_by``)."""

    async def act(conn: Connection, request: EhcRequest, _: Needs) -> Taken:
        changed, event = request.decide_assessment(
            body.decision, body.decided_on, body.reason, london_today()
        )
        await ehc_repository.update(
            conn, changed, assessment_decision=body.decision,
            assessment_decided_on=body.decided_on, refusal_reason=body.reason,
            decision_note=body.note,
        )  # fmt: skip
        await ehc_repository.meet(conn, referral_id, [Deadline.DECISION], body.decided_on)
        if body.decision == "refuse":
            later = [Deadline.ISSUE_DECISION, Deadline.DRAFT_PLAN, Deadline.FINAL_PLAN]
            await ehc_repository.cancel(conn, referral_id, later)
        return event, body.decision

    return await _take_step(
        caller,
        referral_id,
        act,
        date_field="decided_on",
        retry=retry,
        body=body,
        letters=letters,
        note=body.note,
    )


@router.post("/advice-requests", response_model=EhcView)
async def request_advice(
    referral_id: ReferralId,
    body: AdviceRequest,
    caller: AsCaller,
    retry: StepRetry,
) -> Any:
    """Advice asked of professionals (Reg 6), each due 6 weeks after the adviser received the
    request (Reg 8(1): ``advisers_received_on``, or the day it was sent): the adviser's limit."""

    async def act(conn: Connection, request: EhcRequest, _: Needs) -> Taken:
        already = await ehc_repository.advice_sought(conn, referral_id)  # or agreed (6(4))
        event = request.request_advice(
            body.kinds,
            body.requested_on,
            already,
            london_today(),
            advisers_received_on=body.advisers_received_on,
        )
        await ehc_repository.add_advice(
            conn, request, event.kinds, event.requested_on, event.due_on, body.advisers_received_on
        )
        return event, ",".join(event.kinds)

    async def then(uow: UnitOfWork, event: DomainEvent) -> None:
        # Advice the council takes from an NHS partner over Kafka: a Task on its topic (#23).
        assert isinstance(event, AdviceRequested)
        await ask_partners(uow, event, referrals_of(uow.service).advice_partners)

    return await _take_step(
        caller, referral_id, act, date_field="requested_on", retry=retry, body=body, then=then
    )


@router.post("/advice-requests/{kind}/received", response_model=EhcView)
async def receive_advice(
    referral_id: ReferralId,
    kind: AdviceKind,
    body: AdviceReceipt,
    caller: AsCaller,
    retry: StepRetry,
) -> Any:
    """A professional's advice arrived."""

    async def act(conn: Connection, request: EhcRequest, _: Needs) -> Taken:
        requested = await ehc_repository.advice_requested(conn, referral_id)
        if kind.value not in requested:
            raise OutOfOrder(f"no {kind.value} advice was requested")
        event = request.receive_advice(
            kind,
            requested[kind.value],
            body.received_on,
            london_today(),
            advisers_received_on=await ehc_repository.advisers_received(
                conn, referral_id, kind.value
            ),
        )
        if not await ehc_repository.receive_advice(
            conn, referral_id, kind.value, event.received_on
        ):
            raise OutOfOrder(f"the {kind.value} advice was already received")
        return event, kind.value

    return await _take_step(
        caller, referral_id, act, date_field="received_on", retry=retry, body=body
    )


@router.post("/advice-requests/{kind}/excused", response_model=EhcView)
async def excuse_advice(
    referral_id: ReferralId,
    kind: AdviceKind,
    body: AdviceExcused,
    caller: AsCaller,
    retry: StepRetry,
) -> Any:
    """The adviser's 6 weeks do not apply (Reg 8(2): exceptional personal circumstances, the
    family away 4 weeks or more, a missed appointment): the advice deadline is no longer
    watched and shows as excused; it sets no new date. Once, for advice still awaited (409)."""

    async def step(uow: UnitOfWork) -> EhcView:
        found = await ehc_repository.load(uow.conn, referral_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no EHC request {referral_id}")
        request, _ = found
        if request.stage in CLOSED:
            raise OutOfOrder(f"the request is {request.stage.value}")
        if not await ehc_repository.excuse_advice(
            uow.conn, referral_id, kind.value, body.because, body.reason
        ):
            raise OutOfOrder(f"no {kind.value} advice is awaited")
        await repository.add_step(
            uow.conn,
            referral_id=referral_id,
            event_id=uuid4(),
            step=StatutoryStep.ADVICE_EXCUSED,
            service="referrals",
            occurred_at=await uow.conn.fetchval("SELECT now()"),
            detail=kind.value,
        )
        uow.changed(
            "update", "ehc-request",
            referral_id=referral_id, local_authority=request.local_authority,
        )  # fmt: skip
        return EhcView.model_validate(
            await ehc_repository.view(uow.conn, referral_id, london_today())
        )

    return await one_step(caller, retry, body, step, date_field="because")


@router.post("/existing-advice", response_model=EhcView)
async def use_existing_advice(
    referral_id: ReferralId,
    body: ExistingAdvice,
    caller: AsCaller,
    retry: StepRetry,
    principal: CurrentPrincipal,
) -> Any:
    """Advice given before, used instead of seeking it afresh (Reg 6(4)): what it is, its
    date, who gave it and who agreed (the giver, the council's officer recording it and the
    family). Kinds (b) to (h) only (the family's own: 422 naming ``kind``); a kind already
    sought is a 409. It counts as sought for the decision whether to issue a plan."""

    async def act(conn: Connection, request: EhcRequest, _: Needs) -> Taken:
        sought = await ehc_repository.advice_sought(conn, referral_id)
        event = request.use_existing_advice(
            body.kind, body.advice_dated, body.agreed_on, sought, london_today()
        )
        details = body.model_dump(include={"description", "given_by", "family_agreed_by"})
        await ehc_repository.add_existing_advice(conn, request, event, details, principal.subject)
        return event, body.kind.value

    return await _take_step(
        caller, referral_id, act, date_field="agreed_on", retry=retry, body=body
    )


@router.post("/family-advice-asks", response_model=EhcView)
async def record_family_advice_ask(
    referral_id: ReferralId,
    body: FamilyAdviceAsk,
    caller: AsCaller,
    retry: StepRetry,
    principal: CurrentPrincipal,
) -> Any:
    """The parent or young person asked the council to seek advice from someone (Reg
    6(1)(h)): what, from whom, when, and the council's decision. Sought (``seek``), advice of
    kind ``asked_for_by_family`` must then be sought (asked for, or existing advice agreed
    under Reg 6(4)) before the decision whether to issue a plan (409 naming it); refused as
    not a reasonable request (``refuse``), it needs the reason (422 naming ``reason``). While
    the council assesses (409 otherwise). A step on the timeline; no event (no service acts
    on it): the words stay here."""

    async def step(uow: UnitOfWork) -> EhcView:
        request, _ = await _locked(uow, referral_id)
        request.family_asks_for_advice(body.asked_on, london_today())
        if (body.decision == "refuse") != (body.reason is not None):
            raise InvalidStep("reason", "a refusal needs its reason; a decision to seek none")
        await ehc_repository.add_family_ask(uow.conn, request, body.model_dump(), principal.subject)
        uow.changed(
            "update", "ehc-request",
            referral_id=referral_id, local_authority=request.local_authority,
        )  # fmt: skip
        await repository.add_step(
            uow.conn,
            referral_id=referral_id,
            event_id=uuid4(),
            step=StatutoryStep.FAMILY_ADVICE_ASKED,
            service="referrals",
            occurred_at=await uow.conn.fetchval("SELECT now()"),
            detail=body.decision,
        )
        return EhcView.model_validate(
            await ehc_repository.view(uow.conn, referral_id, london_today())
        )

    return await one_step(caller, retry, body, step, date_field="asked_on")


@router.post("/plan-decision", response_model=EhcView)
async def decide_plan(
    referral_id: ReferralId,
    body: PlanDecision,
    caller: AsCaller,
    retry: StepRetry,
    letters: Letters,
) -> Any:
    """Whether the council will issue an EHC plan; a decision not to must be notified by week
    16, with its reason and the family's rights to mediation and appeal."""

    async def act(conn: Connection, request: EhcRequest, needs: Needs) -> Taken:
        sought = await ehc_repository.advice_sought(conn, referral_id)
        changed, event = request.decide_plan(
            body.decision, body.decided_on, body.reason, sought, needs, london_today(),
            family_asked=await ehc_repository.family_asked(conn, referral_id),
        )  # fmt: skip
        await ehc_repository.update(
            conn, changed, plan_decision=body.decision, plan_decided_on=body.decided_on,
            not_issue_reason=body.reason, decision_note=body.note,
        )  # fmt: skip
        await ehc_repository.meet(conn, referral_id, [Deadline.ISSUE_DECISION], body.decided_on)
        if body.decision == "not_issue":
            await ehc_repository.cancel(
                conn, referral_id, [Deadline.DRAFT_PLAN, Deadline.FINAL_PLAN]
            )
        return event, body.decision

    return await _take_step(
        caller,
        referral_id,
        act,
        date_field="decided_on",
        retry=retry,
        body=body,
        letters=letters,
        note=body.note,
    )


@router.post("/draft-plan", response_model=EhcView)
async def issue_draft_plan(
    referral_id: ReferralId,
    body: DraftPlan,
    caller: AsCaller,
    retry: StepRetry,
    letters: Letters,
) -> Any:
    """The draft plan was sent to the family: at least 15 days to comment (Reg 13(1))."""

    async def act(conn: Connection, request: EhcRequest, _: Needs) -> Taken:
        today = london_today()
        return await record_draft(conn, request, body.issued_on, body.comments_due, today), None

    return await _take_step(
        caller,
        referral_id,
        act,
        date_field="issued_on",
        retry=retry,
        body=body,
        letters=letters,
    )


@router.post("/final-plan", response_model=EhcView)
async def issue_final_plan(
    referral_id: ReferralId,
    body: FinalPlan,
    caller: AsCaller,
    retry: StepRetry,
    letters: Letters,
) -> Any:
    """The final EHC plan was issued (by week 20; not before the family's comment period
    ends). The family may appeal sections B, F and I within 2 months."""

    async def act(conn: Connection, request: EhcRequest, _: Needs) -> Taken:
        event = await record_final(conn, request, body.issued_on, london_today())
        if body.named_school_urn is not None:
            await ehc_repository.name_school(conn, referral_id, body.named_school_urn)
        return event, None

    return await _take_step(
        caller,
        referral_id,
        act,
        date_field="issued_on",
        retry=retry,
        body=body,
        letters=letters,
    )


@router.post("/exceptions", response_model=EhcView)
async def record_exception(
    referral_id: ReferralId,
    body: ExceptionRecord,
    caller: AsCaller,
    retry: StepRetry,
    principal: CurrentPrincipal,
) -> Any:
    """An exception to the time limits (a school closed 4+ weeks, where the head teacher's
    advice was asked for from a week before the closure to a week before it ends; exceptional
    personal circumstances; the family away 4+ weeks): it excuses a limit, and each open
    deadline's date with exceptions (SEN2's count) moves by its days; the legal dates stay."""

    async def act(conn: Connection, request: EhcRequest, _: Needs) -> Taken:
        exception = StatutoryException(body.kind, body.starts_on, body.ends_on)
        asked = await ehc_repository.advice_requested(conn, referral_id)
        changed = request.add_exception(
            exception, london_today(), head_teacher_asked_on=asked.get(AdviceKind.EDUCATIONAL)
        )
        moved = await ehc_repository.add_exception(
            conn, changed, exception, body.reason, principal.subject
        )
        event = StatutoryExceptionRecorded(
            **changed.common(),
            kind=body.kind,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            deadlines=moved,
        )
        return event, body.kind

    return await _take_step(
        caller, referral_id, act, date_field="starts_on", retry=retry, body=body
    )


@router.post("/mediation", response_model=EhcView)
async def record_mediation(
    referral_id: ReferralId, body: Mediation, caller: AsCaller, retry: StepRetry
) -> Any:
    """Mediation after a decision that can be appealed (a refusal to assess, a decision not to
    issue, the final plan; Reg 32): the day the family asked a mediation adviser and the day
    the certificate was issued, as they come. ``appeal_by`` is then 2 months from the decision
    or 1 month from the certificate, whichever is later. A step on the timeline; no event (no
    service acts on it)."""

    async def step(uow: UnitOfWork) -> EhcView:
        request, _ = await _locked(uow, referral_id)
        changed = request.record_mediation(
            body.mediation_asked_on, body.mediation_certificate_on, london_today()
        )
        await ehc_repository.record_mediation(uow.conn, changed)
        uow.changed(
            "update",
            "ehc-request",
            referral_id=referral_id,
            local_authority=request.local_authority,
        )
        await repository.add_step(
            uow.conn,
            referral_id=referral_id,
            event_id=uuid4(),
            step=StatutoryStep.MEDIATION_RECORDED,
            service="referrals",
            occurred_at=await uow.conn.fetchval("SELECT now()"),
            detail="certificate" if changed.mediation_certificate_on else "asked",
        )
        return EhcView.model_validate(
            await ehc_repository.view(uow.conn, referral_id, london_today())
        )

    return await one_step(caller, retry, body, step, date_field="mediation_asked_on")
