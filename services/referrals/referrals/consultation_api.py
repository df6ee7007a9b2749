"""HTTP routes of school consultations (``referrals.consultations``): a caseworker sends one and
reads a referral's; a school's SENCo reads the consultations of their schools and answers one.
Each change is one unit of work: its event, its timeline step and its audit row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, HTTPException, status

from referrals import repository
from referrals.consultations import (
    Consultation,
    ConsultationReply,
    ConsultationRequest,
    Sent,
    consult,
    reply,
)
from referrals.domain import StatutoryStep, reference
from referrals.statutory import InvalidStep, OutOfOrder, Stage
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow
from shared.dates import london_today
from shared.events import DomainEvent
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, invalid
from shared.unit_of_work import UnitOfWork

caseworkers = APIRouter(
    prefix="/v1/referrals/{referral_id}/school-consultations",
    tags=["statutory EHC process"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
schools = APIRouter(
    prefix="/v1/school/consultations",
    tags=["schools"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES},
    dependencies=[allow(Role.SCHOOL)],
)

_COLUMNS = """id, referral_id, local_authority, school_urn, sent_on, respond_by, answer, reason,
    answered_on"""


def _view(row: asyncpg.Record) -> Consultation:
    found = {k: v for k, v in dict(row).items() if k != "local_authority"}
    return Consultation(**found, reference=reference(row["referral_id"]))


async def _step(uow: UnitOfWork, event: DomainEvent, step: StatutoryStep, detail: str) -> None:
    """The event (audited: ``shared.audits``) and its step on the timeline."""
    uow.add(event)
    await repository.add_step(
        uow.conn,
        referral_id=event.referral_id,
        event_id=uuid4(),  # the timeline's key for the step; the event follows on commit
        step=step,
        service="referrals",
        occurred_at=await uow.conn.fetchval("SELECT now()"),
        detail=detail,
    )


def _refused(exc: OutOfOrder | InvalidStep) -> Exception:
    if isinstance(exc, InvalidStep):
        return invalid([((exc.field,), str(exc))])
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


@caseworkers.post(
    "", response_model=Consultation, status_code=status.HTTP_201_CREATED, responses=CONFLICT
)
async def send_consultation(
    referral_id: UUID, body: ConsultationRequest, caller: AsCaller
) -> Consultation:
    """Consult a school about naming it in the child's EHC plan (once the draft is issued):
    it has 15 days to answer. The same school again is a 409 naming its consultation."""
    today = london_today()
    try:
        async with caller.begin() as uow:
            found = await uow.conn.fetchrow(
                """SELECT r.local_authority, e.stage FROM referrals r
                   LEFT JOIN ehc_requests e ON e.referral_id = r.id
                   WHERE r.id = $1 FOR UPDATE OF r""",
                referral_id,
            )
            if found is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
            stage = Stage(found["stage"]) if found["stage"] else Stage.REQUESTED
            event = consult(
                referral_id, found["local_authority"], stage, body.school_urn,
                body.sent_on or today, today,
            )  # fmt: skip
            row = await uow.conn.fetchrow(
                f"""INSERT INTO school_consultations (id, referral_id, local_authority,
                       school_urn, sent_on, respond_by, sent_by)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (referral_id, school_urn) DO NOTHING RETURNING {_COLUMNS}""",
                event.consultation_id, referral_id, event.local_authority, event.school_urn,
                event.sent_on, event.respond_by, uow.actor.subject,
            )  # fmt: skip
            if row is None:
                raise OutOfOrder(f"school {body.school_urn} has been consulted already")
            await _step(uow, event, StatutoryStep.SCHOOL_CONSULTED, event.school_urn)
    except (OutOfOrder, InvalidStep) as exc:
        raise _refused(exc) from exc
    return _view(row)


@caseworkers.get("", response_model=list[Consultation])
async def get_consultations(referral_id: UUID, caller: AsCaller) -> list[Consultation]:
    """The referral's consultations, the oldest first (audited as a read of the referral)."""
    async with caller.begin() as uow:
        rows = await uow.conn.fetch(
            f"""SELECT {_COLUMNS} FROM school_consultations WHERE referral_id = $1
                ORDER BY sent_on, created_at""",
            referral_id,
        )
        council = await uow.conn.fetchval(
            "SELECT local_authority FROM referrals WHERE id = $1", referral_id
        )
        if council is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        uow.read("referral", referral_id=referral_id, local_authority=council)
    return [_view(r) for r in rows]


async def _of_schools(conn: Any, urns: Sequence[str]) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            f"""SELECT {_COLUMNS} FROM school_consultations WHERE school_urn = ANY ($1)
                ORDER BY answer IS NOT NULL, respond_by, id LIMIT 500""",
            list(urns),
        )
    )


@schools.get("", response_model=list[Consultation])
async def get_school_consultations(
    caller: AsCaller, principal: CurrentPrincipal
) -> list[Consultation]:
    """The consultations of the SENCo's schools, the ones to answer first (each audited)."""
    async with caller.begin() as uow:
        rows = await _of_schools(uow.conn, principal.school_urns)
        uow.read_each(
            "school-consultation", [(r["referral_id"], r["local_authority"]) for r in rows]
        )
    return [_view(r) for r in rows]


@schools.post(
    "/{consultation_id}/answer", response_model=Consultation, responses={**NOT_FOUND, **CONFLICT}
)
async def answer_consultation(
    consultation_id: UUID, body: ConsultationReply, caller: AsCaller, principal: CurrentPrincipal
) -> Consultation:
    """The school's answer (once): whether it can meet the child's needs, and if not why.
    Another school's consultation is "not found"."""
    try:
        async with caller.begin() as uow:
            row = await uow.conn.fetchrow(
                f"""SELECT {_COLUMNS} FROM school_consultations
                    WHERE id = $1 AND school_urn = ANY ($2) FOR UPDATE""",
                consultation_id,
                list(principal.school_urns),
            )
            if row is None:
                raise HTTPException(
                    status.HTTP_404_NOT_FOUND, f"no consultation {consultation_id} of yours"
                )
            sent = Sent(
                row["id"], row["referral_id"], row["local_authority"], row["school_urn"],
                row["respond_by"], row["answer"] is not None,
            )  # fmt: skip
            event = reply(sent, body.answer, body.reason, london_today())
            answered = await uow.conn.fetchrow(
                f"""UPDATE school_consultations SET answer = $2, reason = $3, answered_on = $4,
                       answered_by = $5 WHERE id = $1 RETURNING {_COLUMNS}""",
                consultation_id, event.answer, body.reason, event.answered_on,
                uow.actor.subject,
            )  # fmt: skip
            await _step(uow, event, StatutoryStep.SCHOOL_CONSULTATION_ANSWERED, event.answer)
    except (OutOfOrder, InvalidStep) as exc:
        raise _refused(exc) from exc
    assert answered is not None  # locked above
    return _view(answered)
