"""Why an NHS partner refers a child, as the partner says it: SNOMED CT codings, other
codings and text, kept as the referrer's words (special category data: never in logs, spans
or error bodies), and the SEN2 need they may suggest to the caseworker who triages it.

Deciding a child's special educational need is the council's job: a partner's reason is
never taken as the need. Only a coding in the platform's own SEN2 code system
(``SEN2_SYSTEM``), which a partner that knows the council's codes may send, is. A council may
configure ``SNOMED_SEN2_SUGGESTIONS``: SNOMED CT concepts it has checked, each with the SEN2
need it suggests; the caseworker sees the suggestion and decides. The platform ships the table
empty (SNOMED CT is licensed, and its concepts are the council's to choose).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from referrals.intake import safe_text
from shared.events import Sen2Need

SNOMED_SYSTEM = "http://snomed.info/sct"
SEN2_SYSTEM = "https://send-platform.uk/fhir/CodeSystem/sen2-primary-need"
SCTID = re.compile(r"^[1-9][0-9]{5,17}$")
"""A SNOMED CT identifier's form: 6 to 18 digits, no leading zero."""
MAX_TEXT = 4000

Problem = tuple[str, str]


class ReferrerReason(BaseModel):
    """One reason as the referrer gave it: a coding (its system, code and display) or text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str | None = Field(default=None, examples=[SNOMED_SYSTEM])
    code: str | None = Field(default=None)
    display: str | None = Field(default=None, max_length=MAX_TEXT)
    text: str | None = Field(default=None, max_length=MAX_TEXT)


def reasons_of(
    concepts: list[tuple[str, Any]],
) -> tuple[list[ReferrerReason], Sen2Need | None, list[Problem]]:
    """The reasons in ``concepts`` (each a FHIRPath and a ``CodeableConcept``: the
    ServiceRequest's ``reasonCode``, and the ``code`` of each Condition its ``reasonReference``
    points to in the bundle), the SEN2 need one of them codes in ``SEN2_SYSTEM`` (else None:
    the referral waits for triage), and what is wrong with them (FHIRPath and why, never the
    value). Pure."""
    reasons: list[ReferrerReason] = []
    need: Sen2Need | None = None
    problems: list[Problem] = []
    for where, concept in concepts:
        for i, coding in enumerate(concept.coding or ()):
            at = f"{where}.coding[{i}]"
            code = None if coding.code is None else str(coding.code)
            if coding.system == SEN2_SYSTEM:
                if code is None or code not in Sen2Need.__members__:
                    problems.append((f"{at}.code", "not a SEN2 primary need code"))
                elif need is None:
                    need = Sen2Need(code)
                continue
            if coding.system == SNOMED_SYSTEM and (code is None or not SCTID.match(code)):
                problems.append((f"{at}.code", "not a SNOMED CT identifier (6 to 18 digits)"))
                continue
            if code is None and not coding.display:
                continue
            display = _text(coding.display, f"{at}.display", problems)
            reasons.append(ReferrerReason(system=coding.system, code=code, display=display))
        text = _text(concept.text, f"{where}.text", problems)
        if text:
            reasons.append(ReferrerReason(text=text))
    if not reasons and need is None and not problems:
        problems.append(
            (
                "ServiceRequest.reasonCode",
                "give the reason for the referral: SNOMED CT, another coding, or text",
            )
        )
    return reasons, need, problems


def _text(value: Any, where: str, problems: list[Problem]) -> str | None:
    if not value:
        return None
    try:
        text = safe_text(str(value)).strip()
    except ValueError as exc:
        problems.append((where, str(exc)))
        return None
    if len(text) > MAX_TEXT:
        problems.append((where, f"longer than {MAX_TEXT} characters"))
        return None
    return text or None


def suggested_needs(reasons: list[ReferrerReason], table: Mapping[str, Sen2Need]) -> list[Sen2Need]:
    """The SEN2 needs the council's table (``SNOMED_SEN2_SUGGESTIONS``) suggests for the SNOMED
    CT reasons, in the order given, each once: a suggestion for the caseworker, never a
    decision."""
    found: list[Sen2Need] = []
    for reason in reasons:
        if reason.system == SNOMED_SYSTEM and reason.code is not None and reason.code in table:
            need = table[reason.code]
            if need not in found:
                found.append(need)
    return found
