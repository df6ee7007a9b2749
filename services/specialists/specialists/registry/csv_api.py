"""The registry as CSV: managers import it (every row checked, all applied or none) and anyone
who may read the registry exports it, in the same format."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow, require_council
from shared.http import UNAVAILABLE, AsCaller, DbConnection, invalid
from specialists import waitlist
from specialists.registry import csv_format, store
from specialists.registry.api import Council, agreed, changed, pairs_to_work
from specialists.registry.entry import EntryView
from specialists.registry.importing import Rejected, import_csv

router = APIRouter(prefix="/v1", tags=["registry"], responses={**UNAVAILABLE, **AUTH_RESPONSES})
MAX_CSV_BYTES = 2_000_000


@router.get(
    "/registry/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The import's format"}},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def export_registry(
    conn: DbConnection, principal: CurrentPrincipal, local_authority: Council
) -> Response:
    """The council's registry as CSV, in the format the import takes."""
    require_council(principal, [local_authority])
    entries = await store.listed(conn, local_authority)
    return Response(csv_format.write(entries), media_type="text/csv; charset=utf-8")


@router.post(
    "/registry/import",
    response_model=list[EntryView],
    responses={422: {"description": "Nothing stored: every bad row's line, field and why"}},
    dependencies=[allow(Role.MANAGER)],
)
async def import_registry(
    request: Request, caller: AsCaller, principal: CurrentPrincipal
) -> list[EntryView]:
    """Create or replace entries from a CSV body (``text/csv``; the export's format): every row
    is checked and all are applied, or none (422: each bad row's line and field)."""
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise invalid([(("csv",), f"larger than {MAX_CSV_BYTES} bytes")])
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid([(("csv",), "not UTF-8 text")]) from exc
    try:
        async with caller.begin() as uow:
            rows, _ = csv_format.parse(text)
            await waitlist.hold(uow.conn, pairs_to_work(principal, [e for _, e in rows]))
            saved = await import_csv(
                uow.conn, text, by=principal.subject, acting_for=principal.councils
            )
            for council in sorted({s.entry.local_authority for s in saved}):
                changed(uow, "import", council)
            agreed(uow, saved)
            entries = [s.entry for s in saved]
            await waitlist.move(caller.work, uow.conn, pairs_to_work(principal, entries))
    except Rejected as rejected:
        raise invalid(((f"line {p.line}", p.field), p.why) for p in rejected.problems) from rejected
    return [s.entry for s in saved]
