"""Importing the registry from a CSV file (GOV.UK's file upload, no JavaScript) and
downloading it in the same format. The specialists service checks every row and stores all
or none: its 422 names each bad row's line and column, which the page lists and links to the
file field. Nothing is kept here: the file goes straight to the service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from web import councils, pages
from web.backends import Backends, Invalid
from web.registry import fields
from web.signin import User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Reader = Annotated[User, with_role("caseworker", "manager")]
Manager = Annotated[User, with_role("manager")]

MAX_BYTES = 2_000_000
"""The specialists service's own limit (``MAX_CSV_BYTES``): a larger file is refused here
before it is sent."""


@router.get("/registry/import")
async def import_form(request: Request, user: Manager) -> Response:
    return _page(request, councils.chosen(request, user))


@router.post("/registry/import")
async def import_file(request: Request, user: Manager) -> Response:
    form = await checked_form(request)
    council = councils.chosen(request, user)
    upload = form.get("csv")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, council, problem="Select a CSV file")
    content = await upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return _page(request, council, problem="The selected file must be smaller than 2 MB")
    if not content.strip():
        return _page(request, council, problem="The selected file is empty")
    backends: Backends = state_of(request).backends
    try:
        saved = await backends.post(
            "specialists",
            "/v1/registry/import",
            token=user.access_token,
            content=content,
            headers={"Content-Type": "text/csv"},
        )
    except Invalid as exc:
        rows = [_row(loc, message) for loc, message in exc.errors]
        return _page(request, council, rows=rows, filename=upload.filename)
    count = len(saved)
    request.scope["web.session"].data["banner"] = (
        f"{count} {'entry was' if count == 1 else 'entries were'} imported from {upload.filename}"
    )
    return RedirectResponse(f"/registry?council={council}", status_code=303)


@router.get("/registry/export.csv")
async def export(request: Request, user: Reader) -> Response:
    council = councils.chosen(request, user)
    backends: Backends = state_of(request).backends
    content = await backends.get(
        "specialists",
        "/v1/registry/export",
        token=user.access_token,
        params={"local_authority": council},
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="registry-{council}.csv"'},
    )


def _row(loc: tuple[Any, ...], message: str) -> dict[str, Any]:
    """A problem as the page lists it: ``("body", "line 3", "capacity")`` is line 3's
    capacity column; a problem with the whole file has no line."""
    parts = [p for p in loc if p != "body"]
    line = next((str(p).removeprefix("line ") for p in parts if str(p).startswith("line ")), None)
    column = next((str(p) for p in parts if not str(p).startswith("line ")), None)
    if column in fields.HELP and message[:1].isupper():  # the validation library's words
        message = fields.HELP[column]
    return {"line": line, "column": column if column not in (None, "csv") else None, "why": message}


def _page(
    request: Request,
    council: str,
    *,
    problem: str | None = None,
    rows: list[dict[str, Any]] | None = None,
    filename: str | None = None,
) -> Response:
    errors: list[dict[str, str]] = []
    if problem:
        errors.append({"text": problem, "href": "#csv"})
    for row in rows or []:
        where = ", ".join(
            part
            for part in (
                f"Line {row['line']}" if row["line"] else "The file",
                f"column {row['column']}" if row["column"] else None,
            )
            if part
        )
        errors.append({"text": f"{where}: {row['why']}", "href": "#csv"})
    field_error = problem or (
        f"{filename} has {len(rows)} {'problem' if len(rows) == 1 else 'problems'}: nothing was "
        "imported. Correct the file and select it again."
        if rows
        else None
    )
    return pages.render(
        request,
        "manager/import.html",
        status_code=422 if errors else 200,
        errors=errors,
        rows=rows or [],
        field_error=field_error,
        council=council,
        council_name=councils.name(request, council),
    )
