"""The plan document's shape on each track, and the changes events make to it. Pure.

An EHC-track plan has every section A to K (Reg 12); the sections nobody has written yet say
so, and section I (placement) is named after the family's comments on the draft. Section K
lists the advice received (from the statutory advice referrals records).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from plans.document import SECTION_KEYS, SUPPORT_SECTIONS, Adviser, PlanDocument

TO_BE_WRITTEN = "To be written with the family and the professionals who know the child."
PLACEMENT_LATER = "Named in the final plan, after the family's comments on the draft."
_TEXT_SECTIONS = ("A", "C", "D", "H1", "H2", "I", "J")


class SectionNotOnTrack(ValueError):
    """A support-track plan has only sections A, B, E, F and G."""


def ehc_structure(document: PlanDocument) -> PlanDocument:
    """The same plan as an EHC plan: every section present, what it had kept."""
    filled: dict[str, Any] = {"track": "ehc"}
    for key in _TEXT_SECTIONS:
        if getattr(document, key) is None:
            filled[key] = PLACEMENT_LATER if key == "I" else TO_BE_WRITTEN
    return document.model_copy(update=filled)


def with_advice(
    document: PlanDocument,
    kind: str,
    received_on: date,
    *,
    document_id: UUID | None = None,
    summary: Mapping[str, str] | None = None,
) -> PlanDocument | None:
    """Section K with this advice listed (with the adviser's document and summary when they
    returned it through their link); None when it is listed already."""
    adviser = Adviser(
        kind=kind, received_on=received_on, document_id=document_id, **dict(summary or {})
    )
    if adviser in document.K:
        return None
    return document.model_copy(update={"K": [*document.K, adviser]})


def with_section(document: PlanDocument, key: str, content: Any) -> PlanDocument:
    """The plan with section ``key`` replaced by ``content``, validated as the document's
    model validates it (``pydantic.ValidationError`` naming the field otherwise)."""
    if key not in SECTION_KEYS:
        raise SectionNotOnTrack(f"no section {key}: the sections are {', '.join(SECTION_KEYS)}")
    if document.track == "support" and key not in SUPPORT_SECTIONS:
        raise SectionNotOnTrack(
            f"a support-track plan has sections {', '.join(SUPPORT_SECTIONS)}; "
            f"section {key} belongs to an EHC plan"
        )
    if key == "K" and isinstance(content, list):
        content = _documents_kept(document, content)
    if key in ("E", "F", "G") and isinstance(content, list):
        content = _marks_kept(getattr(document, key), content, provision=key != "E")
    return PlanDocument.model_validate({**document.model_dump(mode="json"), key: content})


def _documents_kept(document: PlanDocument, content: list[Any]) -> list[Any]:
    """Section K as edited, each line of a kind of advice still pointing at the document its
    adviser returned (a form shows the summary to edit, not the document's id)."""
    returned = {str(a.kind): str(a.document_id) for a in document.K if a.document_id}
    return [
        {**line, "document_id": returned[line["kind"]]}
        if isinstance(line, dict) and not line.get("document_id") and line.get("kind") in returned
        else line
        for line in content
    ]


_STEPS_ONLY = ("suggested", "health_agreement")
"""Set only by their own steps (a line confirmed; the health commissioning body's agreement
recorded), never by saving a section: the section keeps them as they were."""


def _marks_kept(before: list[Any], content: list[Any], *, provision: bool) -> list[Any]:
    """Lines as edited, with what only their own steps change as it was: whether the line is
    still a suggestion to confirm (an edit confirms nothing; a new line a caseworker wrote is
    theirs), and the health commissioning body's agreement while the line is as it agreed
    (a changed or new line has none); where its dose comes from unless the edit says."""
    was = {line.id: line.model_dump(mode="json") for line in before}
    kept = []
    for line in content:
        if not isinstance(line, dict):
            kept.append(line)
            continue
        old = was.get(line.get("id"), {})
        same = bool(old) and all(
            line.get(k) == v for k, v in old.items() if k not in (*_STEPS_ONLY, "dose")
        )
        marks: dict[str, Any] = {"suggested": bool(old.get("suggested", False))}
        if provision:  # an outcome has no agreement
            marks["health_agreement"] = old.get("health_agreement") if same else None
        dose = {"dose": old["dose"]} if "dose" in old and "dose" not in line else {}
        kept.append({**line, **dose, **marks})
    return kept


def section_errors(exc: ValidationError, key: str) -> list[tuple[tuple[str | int, ...], str]]:
    """Where (within the section) each problem is, and why."""
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        inner = loc[1:] if loc and loc[0] == key else loc
        problems.append((inner, error["msg"]))
    return problems
