"""The audit trail: who read or changed which child's record, when, in which role and council,
from which request. Never the data itself. Its rows are written by the units of work only
(``shared.unit_of_work``: the rows a change's events stand for, ``shared.audits``, and its
reads); a service's own changes (event handlers, scheduled jobs) are audited as
``system:<service>`` (or ``system:<job>``). Append-only for the services (``shared.grants``),
and readable by auditors of the same council at ``GET /v1/audit``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from shared.auth import AUTH_RESPONSES, Role, allow
from shared.db import Connection
from shared.http import UNAVAILABLE, DbConnection
from shared.pending_writes import PendingWrites
from shared.unit_of_work import Actor


class AuditEntry(BaseModel):
    id: int = Field(
        description="The entry's place in this service's trail: with ``at``, the cursor of the "
        "next page (``to`` and ``before_id``)"
    )
    at: datetime
    actor: str
    roles: list[str]
    local_authority: str
    action: str
    resource: str
    referral_id: UUID | None
    request_id: str | None
    """The server's id of the request (the response's ``X-Request-ID``; ``shared.request_ids``)."""
    client_request_id: str | None
    """What the caller sent as ``X-Request-ID`` (or a partner as its request), when it looked
    like an id: the caller's claim, for matching with its own logs, not the request's id."""


async def audited(
    conn: Connection,
    name: str,
    action: str,
    referral_id: UUID,
    pending: PendingWrites | None = None,
) -> bool:
    """Whether ``system:<name>`` already audited ``action`` on ``referral_id`` (a handler's
    repeat: done once, audited once); ``pending``: its batch's rows not written yet
    (``UnitOfWork.pending``), which count too."""
    if pending is not None and pending.audited(Actor.system(name).subject, action, referral_id):
        return True
    found: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT FROM audit_log
                          WHERE referral_id = $1 AND actor = $2 AND action = $3)""",
        referral_id,
        Actor.system(name).subject,
        action,
    )
    return found


router = APIRouter(prefix="/v1", tags=["audit"], responses={**UNAVAILABLE, **AUTH_RESPONSES})


@router.get("/audit", response_model=list[AuditEntry], dependencies=[allow(Role.AUDITOR)])
async def list_audit_entries(
    conn: DbConnection,
    referral_id: UUID | None = None,
    actor: str | None = Query(default=None, max_length=200),
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    before_id: Annotated[
        int | None,
        Query(
            ge=1,
            description="With ``to``: also the entries at ``to`` itself that come after the "
            "entry ``before_id`` (the next page, when several entries share a time)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntry]:
    """Who read or changed the records of this service, newest first (auditors only; their
    own councils only). A page at a time: the next page is ``to`` = the last entry's ``at``
    and ``before_id`` = its ``id`` (one request records many entries at one time)."""
    if before_id is not None and to is None:
        why = "needs to: the time of the entry it names"
        problem = {"loc": ("query", "before_id"), "msg": why, "type": "value_error"}
        raise RequestValidationError([problem])
    rows = await conn.fetch(
        """SELECT id, at, actor, roles, local_authority, action, resource, referral_id,
                  request_id, client_request_id
           FROM audit_log
           WHERE ($1::uuid IS NULL OR referral_id = $1)
             AND ($2::text IS NULL OR actor = $2)
             AND ($3::timestamptz IS NULL OR at >= $3)
             AND ($4::timestamptz IS NULL OR at < $4 OR (at = $4 AND id < $6))
           ORDER BY at DESC, id DESC LIMIT $5""",
        referral_id,
        actor,
        from_,
        to,
        limit,
        before_id,
    )
    return [AuditEntry(**dict(r)) for r in rows]
