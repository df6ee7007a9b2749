"""Someone else saved first: the caseworker's change reapplied on the version now stored,
shown beside the other version of the section with who saved it and when; or, when the plan
did not change, or changed into a status that takes no edits, the refusal in words."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from web import forms
from web.backends import Backends, together
from web.plan import lines, reapply, wording
from web.plan.section_form import Editing, page
from web.signin import User
from web.state import state_of


async def reapplied(
    request: Request, referral_id: UUID, editing: Editing, detail: str, user: User
) -> Response:
    """The page after the plans service's 409 on ``editing``."""
    backends: Backends = state_of(request).backends
    path = f"/v1/referrals/{referral_id}/plan"
    now, listed, then = await together(
        backends.get("plans", path, token=user.access_token),
        backends.get("plans", f"{path}/versions", token=user.access_token),
        backends.get("plans", f"{path}/versions/{editing.version}", token=user.access_token),
    )
    if now["version"] == editing.version:
        editing.general.append(forms.plain(detail))
        return page(request, referral_id, now, editing, status_code=409)
    if now["status"] not in wording.EDITABLE:  # shared, agreed or final since: nothing to redo
        status = wording.status(now["status"])[0].lower()
        editing.general.append(
            f"The plan changed since you opened this page: it is now {status} (version "
            f"{now['version']}, by {listed[-1]['changed_by']}) and cannot be changed"
        )
        return page(request, referral_id, now, editing, status_code=409)
    section = editing.section
    base, theirs = then["document"].get(section.key), now["sections"].get(section.key)
    if section.of_lines:
        mine = [r for n, r in enumerate(editing.rows) if n not in editing.removed]
        merged = reapply.reapplied_rows(
            section, lines.rows_of(section, base), lines.rows_of(section, theirs), mine
        )
        editing.rows, editing.removed = merged.rows, set()
    else:
        merged = reapply.reapplied_text(base or "", theirs or "", editing.text)
        editing.text = merged.text
    editing.version = now["version"]
    editing.conflict = {
        "since": [v for v in listed if v["version"] > then["version"]],
        "theirs": theirs,
        "section_changed": base != theirs,
        "clashes": merged.clashes,
    }
    return page(request, referral_id, now, editing, status_code=409)
