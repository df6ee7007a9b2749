"""A caseworker's plan pages: read the plan (sections A to K, its checks, its versions, the
PDF), change a section (with someone else's change shown and reapplied when they saved
first), move the plan on (share, issue, finalise, review), and the EHC plan's steps on one
line (confirm a suggestion, record the health commissioning body's agreement)."""

from __future__ import annotations

from fastapi import APIRouter

from web.plan import editing, line_steps, moving, reading

router = APIRouter(include_in_schema=False)
for routes in (reading.router, editing.router, moving.router, line_steps.router):
    router.include_router(routes)
