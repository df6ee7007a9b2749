"""The audit trail: who read or changed which child's record, when, in which role and council,
from which request. Never the data itself. A service's own changes (event handlers, scheduled
jobs) are audited as ``system:<service>`` (or ``system:<job>``) through ``record_system``.
Append-only for the services (``shared.grants``), and readable by auditors of the same council
at ``GET /v1/audit``.

(Longer than most modules: the trail's writes, a person's one at a time or a page's at once and
a service's own, and its one read route, reviewed together as the one record they make.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from shared import request_ids
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Principal, Role, allow
from shared.db import Connection
from shared.events import DomainEvent
from shared.http import UNAVAILABLE, DbConnection


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


class AuditTrail:
    """What a route needs to audit its reads and changes: who, and from which request (the
    server's id; the caller's own, kept only when it looks like an id)."""

    def __init__(
        self, principal: Principal, request_id: str, *, client_request_id: str | None = None
    ) -> None:
        self.principal = principal
        self.request_id = request_id
        self.client_request_id = request_ids.client_request_id(client_request_id)

    async def record(
        self,
        conn: Connection,
        action: str,
        resource: str,
        *,
        referral_id: UUID | None,
        local_authority: str,
    ) -> None:
        await _insert(
            conn,
            self.principal.subject,
            sorted(self.principal.roles),
            local_authority,
            action,
            resource,
            referral_id,
            self.request_id,
            self.client_request_id,
        )

    async def record_each(
        self,
        conn: Connection,
        action: str,
        resource: str,
        referrals: Iterable[tuple[UUID, str]],
    ) -> None:
        """``record`` for each of ``referrals`` (id, council) in one statement: a page of a
        list (the caseload) is audited per referral without a round trip each."""
        pairs = list(referrals)
        if not pairs:
            return
        await conn.execute(
            """INSERT INTO audit_log (actor, roles, local_authority, action, resource,
                   referral_id, request_id)
               SELECT $1, $2, council, $3, $4, referral_id, $5
               FROM unnest($6::uuid[], $7::text[]) AS r (referral_id, council)""",
            self.principal.subject,
            sorted(self.principal.roles),
            action,
            resource,
            self.request_id,
            [referral_id for referral_id, _ in pairs],
            [council for _, council in pairs],
        )


async def _insert(conn: Connection, *row: object) -> None:
    await conn.execute(
        """INSERT INTO audit_log (actor, roles, local_authority, action, resource,
               referral_id, request_id, client_request_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        *row,
    )


def system_actor(name: str) -> str:
    """The audit trail's actor for a service's own work: ``system:<name>`` (``plans``,
    ``retention``, ...), never a person."""
    return f"system:{name}"


async def record_system(
    conn: Connection,
    name: str,
    action: str,
    resource: str,
    *,
    referral_id: UUID | None,
    local_authority: str,
) -> None:
    """Audit a change a service made by itself (an event handler, a scheduled job): actor
    ``system:<name>``, no roles, no request."""
    await _insert(
        conn, system_actor(name), [], local_authority, action, resource, referral_id, None, None
    )


SystemChanges = Mapping[type[DomainEvent], tuple[str, str]]
"""Which events record a change to a child's record, as (action, resource)."""


async def record_system_changes(
    conn: Connection, name: str, events: Iterable[DomainEvent], changes: SystemChanges
) -> None:
    """Audit, as ``system:<name>``, each change to a child's record that ``events`` (what a
    handler or job caused) announce: one row per event of a class in ``changes``, with the
    event's referral and council."""
    for event in events:
        change = changes.get(type(event))
        if change is not None:
            await record_system(
                conn,
                name,
                *change,
                referral_id=event.referral_id,
                local_authority=getattr(event, "local_authority"),  # noqa: B009
            )


async def audited(conn: Connection, name: str, action: str, referral_id: UUID) -> bool:
    """Whether ``system:<name>`` already audited ``action`` on ``referral_id`` (a handler's
    repeat: done once, audited once)."""
    found: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT FROM audit_log
                          WHERE referral_id = $1 AND actor = $2 AND action = $3)""",
        referral_id,
        system_actor(name),
        action,
    )
    return found


def audit_trail(request: Request, principal: CurrentPrincipal) -> AuditTrail:
    """The audit trail of this request: the caller, the server's id of the request (never one
    the caller chose; its span carries it as ``send.request_id``) and the caller's own
    ``X-Request-ID`` if it looks like an id."""
    request_id, client_request_id = request_ids.request_ids(request)
    return AuditTrail(principal, request_id, client_request_id=client_request_id)


Audit = Annotated[AuditTrail, Depends(audit_trail)]

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
