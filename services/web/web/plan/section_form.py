"""One section's form as the caseworker sees it: the answers (read from the plan, or as
posted), the version they are against, the problems found, and the page that shows them
(each row's fields with their ids, values, errors and choices)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from web.backends import NotFound
from web.plan import lines, wording
from web.plan.lines import Row
from web.plan.sections import SECTIONS, Section, document_track, sections_of
from web.plan.view import shown
from web.signin import BadForm


@dataclass
class Editing:
    """A section's form as it is shown: the answers, the version they are against, and the
    problems (by the id of the field they belong to)."""

    section: Section
    version: int
    rows: list[Row] = field(default_factory=list)
    removed: set[int] = field(default_factory=set)
    text: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    conflict: dict[str, Any] | None = None


def section_of(plan: dict[str, Any], key: str) -> Section:
    """Section ``key`` of the plan's track ("Page not found" for any other)."""
    if key not in SECTIONS or key not in sections_of(document_track(plan)):
        raise NotFound(key)
    return SECTIONS[key]


def read(section: Section, plan: dict[str, Any]) -> Editing:
    """The section as the plan has it now."""
    content = plan["sections"].get(section.key)
    if section.of_lines:
        return Editing(section, plan["version"], rows=lines.rows_of(section, content))
    return Editing(section, plan["version"], text=content or "")


def posted(section: Section, form: Any) -> Editing:
    """The section as posted (or as kept when a session ended mid-form)."""
    try:
        version = int(str(form.get("version", "")))
    except ValueError as exc:
        raise BadForm from exc  # the form always carries the version it was shown with
    rows, removed = lines.posted_rows(section, form)
    return Editing(
        section,
        version,
        rows=rows,
        removed=removed,
        text=str(form.get("content", "")).strip(),
        reason=str(form.get("reason", "")).strip(),
    )


def page(
    request: Request,
    referral_id: UUID,
    plan: dict[str, Any],
    editing: Editing,
    *,
    status_code: int = 200,
) -> Response:
    section = editing.section
    rows = [_row(section, plan, editing, n, row) for n, row in enumerate(editing.rows)]
    order = ["content"] + [f["anchor"] for r in rows for f in r["fields"]] + ["reason"]
    errors = [{"text": text} for text in editing.general] + [
        {"text": editing.errors[a], "href": f"#{a}"} for a in order if a in editing.errors
    ]
    return shown(
        request,
        "plan/edit.html",
        referral_id,
        status_code=status_code,
        plan=plan,
        editing=editing,
        section=section,
        rows=rows,
        errors=errors,
    )


def _row(
    section: Section, plan: dict[str, Any], editing: Editing, n: int, row: Row
) -> dict[str, Any]:
    """One row as the template draws it: each field with its id, value, error and choices."""
    fields = []
    for f in section.fields:
        value = row.get(f.name)
        options = dict(f.options)
        if f.kind == "lines" and f.of is not None:
            options = wording.choices(f.of, plan["sections"])
        for v in value if isinstance(value, list) else [value] if f.kind == "select" else []:
            if v and v not in options:
                options[v] = str(v)  # a line or a code this page has no words for: kept
        anchor = lines.anchor(f, n)
        fields.append(
            {
                "field": f,
                "id": f"row-{n}-{f.name}",
                "anchor": anchor,
                "value": value,
                "options": options,
                "error": editing.errors.get(anchor),
            }
        )
    return {
        "n": n,
        "row": row,
        "label": lines.row_label(section, row, n),
        "removed": n in editing.removed,
        "fields": fields,
    }
