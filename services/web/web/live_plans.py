"""Bringing in a council's plans in force from its earlier system (``docs/live-plans.md``):
a manager uploads one CSV or JSON file (GOV.UK's file upload, no JavaScript) and it goes as it
is to referrals' ``POST /v1/live-plans/import``, which checks every row and stores all or none.
Its 422 names each bad row's place (a CSV line and column, a JSON plan and field): the page
lists them, the first ``SHOWN`` only, so that a file with hundreds of bad rows stays readable.
Nothing is kept here. The CSV template is the documented header, so a council starts from it.

(Longer than most modules: the page's problems read from the API's places, its banner's
counts, and the template, which belong together; the open requests' page,
``web.open_requests``, reads its file and lists its problems with the same functions.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from web import councils, pages
from web.backends import Backends, Invalid
from web.signin import User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Manager = Annotated[User, with_role("manager")]

PATH = "/live-plans/import"
UPLOADS = (PATH,)
"""The page takes a file of up to 20 MB (its body may reach ``MAX_UPLOAD_BYTES``)."""
MAX_BYTES = 20 * 1024 * 1024
"""Referrals' own body cap for the import (a document's): a larger file is refused here before
it is sent."""
IMPORT_TIMEOUT_S = 120.0
"""A file of 10,000 plans takes referrals several seconds to check and store (5,000: 3.8 s
measured), more than a page's usual wait (``API_TIMEOUT_S``). Sent again after a timeout, the
file changes nothing it already brought in."""
SHOWN = 50
"""Problems listed at most: with more, the page says how many there are in all."""
TYPES = {".csv": "text/csv", ".json": "application/json"}
"""What the file is, by its name's ending: the API reads it by its content type."""
COLUMNS = (
    "case_id", "local_authority", "child_given_name", "child_family_name", "child_date_of_birth",
    "child_nhs_number", "child_postcode", "contact_name", "contact_email", "contact_phone",
    "contact_preferred_channel", "needs", "issued_on", "last_reviewed_on", "next_review_on",
    "setting_urn", "setting_ukprn", "review_meeting_on", "transfer_year", "transfer_kind",
)  # fmt: skip
"""The CSV columns of ``docs/live-plans.md`` in its order (referrals' ``import_file.COLUMNS``;
a unit test holds the two together)."""


@dataclass(frozen=True)
class Problem:
    """One problem as the page lists it: where (a CSV line or a JSON plan; none: the whole
    file), which column or field, and why, in the service's words (never a value)."""

    row: str | None
    field: str | None
    why: str

    @property
    def where(self) -> str:
        parts = [self.row or "The file", f"{self._kind} {self.field}" if self.field else None]
        return ", ".join(p for p in parts if p)

    @property
    def _kind(self) -> str:
        return "column" if self.row and self.row.startswith("Line") else "field"


ITEMS = {"plans": "Plan", "requests": "Request"}
"""A JSON file's list (plans, or open requests: ``web.open_requests``) and what one item is
called on the page."""


def problem(loc: tuple[Any, ...], why: str) -> Problem:
    """``("body", "line 3", "needs")`` is line 3's needs column; ``("body", "plans", 2,
    "child", "date_of_birth")`` is the third plan's ``child.date_of_birth`` (numbered from 1,
    as a person counts; ``"requests"``: the third request's); ``("body", "file")`` is the
    whole file."""
    parts = [p for p in loc if p != "body"]
    if parts and isinstance(parts[0], str) and parts[0].startswith("line "):
        field = str(parts[1]) if len(parts) > 1 else None
        return Problem(f"Line {parts[0].removeprefix('line ')}", field, why)
    if len(parts) > 1 and parts[0] in ITEMS and isinstance(parts[1], int):
        field = ".".join(str(p) for p in parts[2:]) or None
        return Problem(f"{ITEMS[str(parts[0])]} {parts[1] + 1}", field, why)
    return Problem(None, None, why)


def brought_in(
    added: int, unchanged: int, filename: str, things: tuple[str, str] = ("plan", "plans")
) -> str:
    """The banner after an import: what was added, and what was there already (``things``:
    what one of them is called, and several)."""

    def counted(count: int) -> str:
        return things[0] if count == 1 else things[1]

    if not added:
        return (
            f"All {unchanged} {counted(unchanged)} in {filename} "
            f"{'was' if unchanged == 1 else 'were'} already brought in: nothing changed"
        )
    said = f"{added} {counted(added)} brought in from {filename}"
    if unchanged:
        left = "it was" if unchanged == 1 else "they were"
        said += f"; {unchanged} already brought in, left as {left}"
    return said


@router.get(PATH)
async def import_form(request: Request, user: Manager) -> Response:
    council = councils.chosen(request, user)
    banner = request.scope["web.session"].data.pop("banner", None)
    return _page(request, council, banner=banner)


@router.post(PATH)
async def import_file(request: Request, user: Manager) -> Response:
    form = await checked_form(request)
    council = councils.chosen(request, user)
    upload = await chosen_file(form.get("plans"))
    if isinstance(upload, str):
        return _page(request, council, problem_text=upload)
    backends: Backends = state_of(request).backends
    try:
        report = await backends.post(
            "referrals",
            "/v1/live-plans/import",
            token=user.access_token,
            content=upload.content,
            headers={"Content-Type": upload.content_type},
            timeout_s=IMPORT_TIMEOUT_S,
        )
    except Invalid as exc:
        found = [problem(loc, why) for loc, why in exc.errors]
        return _page(request, council, problems=found, filename=upload.filename)
    request.scope["web.session"].data["banner"] = brought_in(
        report["added"], report["unchanged"], upload.filename
    )
    return RedirectResponse(f"{PATH}?council={council}", status_code=303)


@dataclass(frozen=True)
class ChosenFile:
    """A file as the API takes it: its bytes, and its content type from its name's ending."""

    filename: str
    content: bytes
    content_type: str


async def chosen_file(upload: Any) -> ChosenFile | str:
    """The file a manager chose in a form's file upload, or what is wrong with it as the
    error summary says it (none chosen, not CSV or JSON, over 20 MB, empty)."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return "Select a CSV or JSON file"
    content_type = TYPES.get(_ending(upload.filename))
    if content_type is None:
        return "The selected file must be a CSV or JSON file"
    content = await upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return "The selected file must be smaller than 20 MB"
    if not content.strip():
        return "The selected file is empty"
    return ChosenFile(upload.filename, content, content_type)


@router.get("/live-plans/template.csv")
async def template(request: Request, user: Manager) -> Response:
    """The documented header and nothing else: a council fills it from its earlier system."""
    return Response(
        ",".join(COLUMNS) + "\r\n",
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="live-plans-template.csv"'},
    )


def _ending(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot >= 0 else ""


@dataclass(frozen=True)
class Listed:
    """A refused file's problems as a page lists them: the error summary's entries, the
    problems shown (the first ``SHOWN``), and the message beside the file upload."""

    errors: list[dict[str, str]]
    shown: list[Problem]
    field_error: str | None


def listed(
    found: list[Problem], *, problem_text: str | None, filename: str | None, upload_id: str
) -> Listed:
    """The error summary of a file refused here (``problem_text``, linked to the upload
    ``upload_id``) or by the API (``found``, each linked to its row in the page's list)."""
    shown = found[:SHOWN]
    errors: list[dict[str, str]] = []
    if problem_text:
        errors.append({"text": problem_text, "href": f"#{upload_id}"})
    errors += [
        {"text": f"{p.where}: {p.why}", "href": f"#problem-{n}"} for n, p in enumerate(shown, 1)
    ]
    if len(found) > SHOWN:
        errors.append(
            {
                "text": f"And {len(found) - SHOWN} more problems, not shown: correct these "
                "first, then select the file again to see the rest",
                "href": "#problems",
            }
        )
    field_error = problem_text or (
        f"{filename} has {len(found)} {'problem' if len(found) == 1 else 'problems'}: nothing "
        "was brought in. Correct the file and select it again."
        if found
        else None
    )
    return Listed(errors, shown, field_error)


def _page(
    request: Request,
    council: str,
    *,
    problem_text: str | None = None,
    problems: list[Problem] | None = None,
    filename: str | None = None,
    banner: str | None = None,
) -> Response:
    found = problems or []
    said = listed(found, problem_text=problem_text, filename=filename, upload_id="plans")
    return pages.render(
        request,
        "manager/live_plans_import.html",
        status_code=422 if said.errors else 200,
        errors=said.errors,
        problems=said.shown,
        problem_count=len(found),
        field_error=said.field_error,
        banner=banner,
        council=council,
        council_name=councils.name(request, council),
    )
