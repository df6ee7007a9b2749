"""``POST /v1/live-plans/import``: a council's plans in force, from its earlier system, as CSV
or JSON (``docs/live-plans.md``). Managers only; for the councils they work for; all the file
or nothing (422: each bad row's place and field); a row brought in before changes nothing."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from referrals.live import import_file, open_request_file, open_requests_importing, reannounce
from referrals.live.importing import Rejected, bring_in
from referrals.state import State
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.events import OpenRequestImported
from shared.http import UNAVAILABLE, AsCaller, invalid

router = APIRouter(prefix="/v1", tags=["live plans"], responses={**UNAVAILABLE, **AUTH_RESPONSES})
PATH = "/v1/live-plans/import"
"""A file of 10,000 plans is several MB: the route takes a document's body cap."""


class PlanBroughtIn(BaseModel):
    case_id: str
    referral_id: UUID = Field(description="The plan's referral here: its caseload entry")
    outcome: Literal["added", "unchanged"] = Field(
        description="unchanged: brought in before with the same details (nothing done)"
    )


class ImportReport(BaseModel):
    added: int
    unchanged: int
    plans: list[PlanBroughtIn]


@router.post(
    "/live-plans/import",
    response_model=ImportReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {}},
        }
    },
    responses={422: {"description": "Nothing stored: every bad row's place, field and why"}},
    dependencies=[allow(Role.MANAGER)],
)
async def import_live_plans(request: Request, caller: AsCaller, state: State) -> ImportReport:
    """Bring in a file of plans in force (``text/csv`` or ``application/json``): every row is
    checked and all are stored, or none. Each becomes a referral on the EHC track in the
    caseload, with its next annual review as its deadline; each is audited (``import``)."""
    body = await request.body()
    try:
        rows, problems = import_file.read(body, request.headers.get("content-type", ""))
    except import_file.BadFile as bad:
        raise invalid([(("file",), str(bad))]) from bad
    try:
        async with caller.begin() as uow:
            done = await bring_in(
                uow.conn,
                rows,
                problems,
                rules=state.intake_rules,
                acting_for=caller.councils,
                today=london_today(),
            )
            for event, council in done.events:
                uow.add(event, local_authority=council)
    except Rejected as rejected:
        raise invalid(rejected.problems) from rejected
    plans = [
        PlanBroughtIn(case_id=c, referral_id=r, outcome="added") for c, r in done.added.items()
    ]
    plans += [
        PlanBroughtIn(case_id=c, referral_id=r, outcome="unchanged")
        for c, r in done.unchanged.items()
    ]
    return ImportReport(added=len(done.added), unchanged=len(done.unchanged), plans=plans)


OPEN_REQUESTS_PATH = "/v1/live-plans/open-requests/import"
"""A file of open requests: a document's body cap, as for plans."""


class RequestBroughtIn(BaseModel):
    case_id: str
    referral_id: UUID = Field(description="The request's referral here: its caseload entry")
    outcome: Literal["added", "unchanged"] = Field(
        description="unchanged: brought in before with the same details (nothing done)"
    )


class OpenRequestsReport(BaseModel):
    added: int
    unchanged: int
    requests: list[RequestBroughtIn]


@router.post(
    "/live-plans/open-requests/import",
    response_model=OpenRequestsReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {}},
        }
    },
    responses={422: {"description": "Nothing stored: every bad row's place, field and why"}},
    dependencies=[allow(Role.MANAGER)],
)
async def import_open_requests(
    request: Request, caller: AsCaller, state: State
) -> OpenRequestsReport:
    """Bring in a file of EHC needs assessments under way in the council's earlier system
    (``text/csv`` or ``application/json``): all or none. Each becomes an EHC referral on the
    statutory clock from ``received_on``, at the stage its steps left it; the steps' events go
    out flagged ``earlier_system`` (no messages) and are audited."""
    body = await request.body()
    try:
        rows, problems = open_request_file.read(body, request.headers.get("content-type", ""))
    except import_file.BadFile as bad:
        raise invalid([(("file",), str(bad))]) from bad
    try:
        async with caller.begin() as uow:
            done = await open_requests_importing.bring_in(
                uow.conn,
                rows,
                problems,
                rules=state.intake_rules,
                acting_for=caller.councils,
                today=london_today(),
            )
            for event, council in done.events:
                uow.add(event, local_authority=council)
    except Rejected as rejected:
        raise invalid(rejected.problems) from rejected
    added = [
        RequestBroughtIn(case_id=c, referral_id=r, outcome="added") for c, r in done.added.items()
    ]
    same = [
        RequestBroughtIn(case_id=c, referral_id=r, outcome="unchanged")
        for c, r in done.unchanged.items()
    ]
    return OpenRequestsReport(
        added=len(done.added), unchanged=len(done.unchanged), requests=added + same
    )


REANNOUNCE_PATH = "/v1/live-plans/open-requests/reannounce"


class Reannounced(BaseModel):
    announced: int = Field(
        description="Open requests announced to plans again (plans skips a plan it holds)"
    )


@router.post(
    "/live-plans/open-requests/reannounce",
    response_model=Reannounced,
    dependencies=[allow(Role.MANAGER)],
)
async def reannounce_open_requests(caller: AsCaller) -> Reannounced:
    """Announce every open request of the manager's councils brought in here to plans again
    (``referrals.open-request-imported.v1``, then the child's name), through the outbox: for
    requests brought in before the event existed, whose plans plans does not hold. Plans skips
    a request it holds, so a second call changes nothing there. Each is audited
    (``reannounce``, ``open-request``) as the manager."""
    async with caller.begin() as uow:
        events = await reannounce.announcements(uow.conn, list(caller.councils))
        announced = 0
        for event, council in events:
            uow.add(event, local_authority=council)
            if isinstance(event, OpenRequestImported):
                announced += 1
                uow.changed(
                    "reannounce", "open-request",
                    referral_id=event.referral_id, local_authority=council,
                )  # fmt: skip
    return Reannounced(announced=announced)
