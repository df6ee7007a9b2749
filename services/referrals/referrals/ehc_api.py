"""HTTP routes of the statutory EHC process: each step a caseworker (or manager) records, in
the order the law sets, each an event on its own topic and a step on the timeline.

(Longer than most modules: one short route per statutory step, read best in the law's order in
one file.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from referrals import ehc_repository, idempotency, repository
from referrals.domain import StatutoryStep
from referrals.ehc_schemas import (
    AdviceReceipt,
    AdviceRequest,
    AssessmentDecision,
    DraftPlan,
    EhcView,
    Escalation,
    ExceptionRecord,
    FinalPlan,
    PlanDecision,
)
from referrals.idempotency import IdempotencyKey
from referrals.plan_steps import record_draft, record_final
from referrals.statutory import (
    AdviceKind,
    Deadline,
    EhcRequest,
    InvalidStep,
    Needs,
    OutOfOrder,
    StatutoryException,
)
from shared.audit import Audit
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
    FinalPlanIssued,
    PlanIssueDecided,
    StatutoryExceptionRecorded,
)
from shared.http import (
    CONFLICT,
    NOT_FOUND,
    UNAVAILABLE,
    DbConnection,
    ServiceOutbox,
    invalid,
)

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
    PlanIssueDecided: StatutoryStep.PLAN_ISSUE_DECIDED,
    DraftPlanIssued: StatutoryStep.DRAFT_PLAN_ISSUED,
    FinalPlanIssued: StatutoryStep.FINAL_PLAN_ISSUED,
    StatutoryExceptionRecorded: StatutoryStep.EXCEPTION_RECORDED,
}

Act = Callable[[EhcRequest, Needs], Awaitable[tuple[DomainEvent, str | None]]]


@dataclass(frozen=True)
class Retry:
    """A step POSTed with an Idempotency-Key: a retry gets the first answer and records
    nothing; the same key with another step or body is refused (422)."""

    caller: str
    key: str
    path: str

    def fingerprint(self, body: BaseModel) -> str:
        return idempotency.fingerprint({"path": self.path, "body": body.model_dump(mode="json")})


async def step_retry(
    request: Request, principal: CurrentPrincipal, idempotency_key: IdempotencyKey = None
) -> Retry | None:
    if idempotency_key is None:
        return None
    return Retry(principal.subject, idempotency_key, request.url.path)


StepRetry = Annotated[Retry | None, Depends(step_retry)]


async def _take_step(
    conn: Connection,
    outbox: ServiceOutbox,
    audit: Audit,
    referral_id: UUID,
    act: Act,
    *,
    date_field: str,
    retry: Retry | None = None,
    body: BaseModel | None = None,
) -> Any:
    """Lock the request, let ``act`` check and store the step, then its event, its timeline
    entry and the audit record, all in one transaction; the request as it now stands. With
    ``retry`` (and the step's ``body``), a retried step gets the first answer: the key is
    claimed after the lock on the request, so a retry racing the first waits for it."""
    try:
        async with conn.transaction():
            found = await ehc_repository.load(conn, referral_id)
            if found is None:
                track = await conn.fetchval(
                    "SELECT track FROM referrals WHERE id = $1", referral_id
                )
                if track is None:  # unknown, or another council's: the same answer
                    raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
                raise OutOfOrder("a support request: escalate it to an EHC request first")
            request, needs = found
            if retry is not None and body is not None:
                first = await idempotency.claim(
                    conn, retry.caller, retry.key, request.local_authority, retry.fingerprint(body)
                )
                if first is not None:
                    return JSONResponse(
                        first.body, first.status_code, headers={"Idempotent-Replayed": "true"}
                    )
            event, detail = await act(request, needs)
            await _record(conn, outbox, audit, request.local_authority, event, detail)
            view = EhcView.model_validate(
                await ehc_repository.view(conn, referral_id, london_today())
            )
            if retry is not None:
                await idempotency.answer(
                    conn, retry.caller, retry.key, 200, view.model_dump(mode="json")
                )
    except idempotency.KeyReused as exc:
        raise invalid([(("Idempotency-Key",), str(exc))], where="header") from exc
    except OutOfOrder as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except InvalidStep as exc:
        raise invalid([((date_field if exc.field == "on" else exc.field,), str(exc))]) from exc
    return view


async def _record(
    conn: Connection,
    outbox: ServiceOutbox,
    audit: Audit,
    local_authority: str,
    event: DomainEvent,
    detail: str | None,
) -> None:
    (envelope,) = await outbox.add(conn, [event], local_authority=local_authority)
    await repository.add_step(
        conn,
        referral_id=event.referral_id,
        event_id=envelope.id,
        step=STEP_OF[type(event)],
        service="referrals",
        occurred_at=await conn.fetchval("SELECT now()"),
        detail=detail,
    )
    await audit.record(
        conn, "update", "ehc-request", referral_id=event.referral_id,
        local_authority=local_authority,
    )  # fmt: skip


ReferralId = Annotated[UUID, Path()]


@router.post("/escalate", response_model=EhcView)
async def escalate(
    referral_id: ReferralId,
    body: Escalation,
    conn: DbConnection,
    outbox: ServiceOutbox,
    audit: Audit,
    retry: StepRetry,
) -> Any:
    """A support request becomes an EHC needs assessment request: the statutory clock starts
    on the day the council received that request. Support already under way goes on. A closed
    referral is not escalated (409): the request is a new referral. With an Idempotency-Key, a
    retried escalation gets the first answer (not a 409 saying it is already one)."""
    try:
        return await _escalate(referral_id, body, conn, outbox, audit, retry)
    except idempotency.KeyReused as exc:
        raise invalid([(("Idempotency-Key",), str(exc))], where="header") from exc


async def _escalate(
    referral_id: UUID,
    body: Escalation,
    conn: Connection,
    outbox: ServiceOutbox,
    audit: Audit,
    retry: Retry | None,
) -> Any:
    today = london_today()
    requested_on = body.requested_on or today
    async with conn.transaction():
        referral = await conn.fetchrow(
            """SELECT local_authority, track, received_on, closed_at FROM referrals
               WHERE id = $1 FOR UPDATE""",
            referral_id,
        )
        if referral is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        if retry is not None:
            first = await idempotency.claim(
                conn, retry.caller, retry.key, referral["local_authority"], retry.fingerprint(body)
            )
            if first is not None:
                return JSONResponse(
                    first.body, first.status_code, headers={"Idempotent-Replayed": "true"}
                )
        if referral["closed_at"] is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                "the referral is closed: an EHC needs assessment request for the child is a new "
                "referral (track ehc)",
            )
        if referral["track"] == "ehc":
            raise HTTPException(status.HTTP_409_CONFLICT, "already an EHC needs assessment request")
        if not referral["received_on"] <= requested_on <= today:
            raise invalid(
                [(("requested_on",), f"between the referral ({referral['received_on']}) and today")]
            )
        request = EhcRequest(
            referral_id=referral_id,
            local_authority=referral["local_authority"],
            requested_on=requested_on,
            requested_by=body.requested_by,
            escalated=True,
        )
        await ehc_repository.start(conn, request)
        await _record(conn, outbox, audit, request.local_authority, request.started(), None)
        view = EhcView.model_validate(await ehc_repository.view(conn, referral_id, today))
        if retry is not None:
            await idempotency.answer(
                conn, retry.caller, retry.key, 200, view.model_dump(mode="json")
            )
    return view


@router.post("/assessment-decision", response_model=EhcView)
async def decide_assessment(
    referral_id: ReferralId,
    body: AssessmentDecision,
    conn: DbConnection,
    outbox: ServiceOutbox,
    audit: Audit,
    retry: StepRetry,
) -> Any:
    """Whether the council will assess (by week 6). A refusal gives its reason; the family's
    letter sets out their right to mediation and to appeal (by ``appeal_by``)."""

    async def act(request: EhcRequest, _: Needs) -> tuple[DomainEvent, str | None]:
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
        conn, outbox, audit, referral_id, act, date_field="decided_on", retry=retry, body=body
    )


@router.post("/advice-requests", response_model=EhcView)
async def request_advice(
    referral_id: ReferralId,
    body: AdviceRequest,
    conn: DbConnection,
    outbox: ServiceOutbox,
    audit: Audit,
    retry: StepRetry,
) -> Any:
    """Advice asked of professionals (Reg 6), each due 6 weeks after being asked (Reg 8)."""

    async def act(request: EhcRequest, _: Needs) -> tuple[DomainEvent, str | None]:
        already = await ehc_repository.advice_requested(conn, referral_id)
        event = request.request_advice(body.kinds, body.requested_on, already, london_today())
        await ehc_repository.add_advice(
            conn, request, event.kinds, event.requested_on, event.due_on
        )
        return event, ",".join(event.kinds)

    return await _take_step(
        conn, outbox, audit, referral_id, act, date_field="requested_on", retry=retry, body=body
    )


@router.post("/advice-requests/{kind}/received", response_model=EhcView)
async def receive_advice(
    referral_id: ReferralId,
    kind: AdviceKind,
    body: AdviceReceipt,
    conn: DbConnection,
    outbox: ServiceOutbox,
    audit: Audit,
    retry: StepRetry,
) -> Any:
    """A professional's advice arrived."""

    async def act(request: EhcRequest, _: Needs) -> tuple[DomainEvent, str | None]:
        requested = await ehc_repository.advice_requested(conn, referral_id)
        if kind.value not in requested:
            raise OutOfOrder(f"no {kind.value} advice was requested")
        event = request.receive_advice(
            kind, requested[kind.value], body.received_on, london_today()
        )
        if not await ehc_repository.receive_advice(
            conn, referral_id, kind.value, event.received_on
        ):
            raise OutOfOrder(f"the {kind.value} advice was already received")
        return event, kind.value

    return await _take_step(
        conn, outbox, audit, referral_id, act, date_field="received_on", retry=retry, body=body
    )


@router.post("/plan-decision", response_model=EhcView)
async def decide_plan(
    referral_id: ReferralId,
    body: PlanDecision,
    conn: DbConnection,
    outbox: ServiceOutbox,
    audit: Audit,
    retry: StepRetry,
) -> Any:
    """Whether the council will issue an EHC plan; a decision not to must be notified by week
    16, with its reason and the family's rights to mediation and appeal."""

    async def act(request: EhcRequest, needs: Needs) -> tuple[DomainEvent, str | None]:
        requested = await ehc_repository.advice_requested(conn, referral_id)
        changed, event = request.decide_plan(
            body.decision, body.decided_on, body.reason, requested, needs, london_today()
        )
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
        conn, outbox, audit, referral_id, act, date_field="decided_on", retry=retry, body=body
    )


@router.post("/draft-plan", response_model=EhcView)
async def issue_draft_plan(
    referral_id: ReferralId,
    body: DraftPlan,
    conn: DbConnection,
    outbox: ServiceOutbox,
    audit: Audit,
    retry: StepRetry,
) -> Any:
    """The draft plan was sent to the family: at least 15 days to comment (Reg 13(1))."""

    async def act(request: EhcRequest, _: Needs) -> tuple[DomainEvent, str | None]:
        today = london_today()
        return await record_draft(conn, request, body.issued_on, body.comments_due, today), None

    return await _take_step(
        conn, outbox, audit, referral_id, act, date_field="issued_on", retry=retry, body=body
    )


@router.post("/final-plan", response_model=EhcView)
async def issue_final_plan(
    referral_id: ReferralId,
    body: FinalPlan,
    conn: DbConnection,
    outbox: ServiceOutbox,
    audit: Audit,
    retry: StepRetry,
) -> Any:
    """The final EHC plan was issued (by week 20; not before the family's comment period
    ends). The family may appeal sections B, F and I within 2 months."""

    async def act(request: EhcRequest, _: Needs) -> tuple[DomainEvent, str | None]:
        return await record_final(conn, request, body.issued_on, london_today()), None

    return await _take_step(
        conn, outbox, audit, referral_id, act, date_field="issued_on", retry=retry, body=body
    )


@router.post("/exceptions", response_model=EhcView)
async def record_exception(
    referral_id: ReferralId,
    body: ExceptionRecord,
    conn: DbConnection,
    outbox: ServiceOutbox,
    audit: Audit,
    retry: StepRetry,
    principal: CurrentPrincipal,
) -> Any:
    """An exception to the time limits (a school closed 4+ weeks, exceptional personal
    circumstances, the family away 4+ weeks): the open deadlines move by its days."""

    async def act(request: EhcRequest, _: Needs) -> tuple[DomainEvent, str | None]:
        exception = StatutoryException(body.kind, body.starts_on, body.ends_on)
        changed = request.add_exception(exception, london_today())
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
        conn, outbox, audit, referral_id, act, date_field="starts_on", retry=retry, body=body
    )
