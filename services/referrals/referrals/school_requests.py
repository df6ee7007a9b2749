"""A request from a school's SENCo (role ``school``) through ``POST /v1/referrals``: it is the
school's (``requested_by``), for a pupil of one of their schools (``child.school_urn``), each
problem named by its field. A request for a child the council knows already is held for a
caseworker to match, as a partner's is (``referrals.holding.held_for``): the answer never says
whether the child is known. A request for an EHC needs assessment (``track: ehc``) starts the
statutory clock on the day it is received, as any school's request does (s36(1)). Pure.
"""

from __future__ import annotations

from referrals.schemas import ReferralRequest
from shared.auth import Principal, Role


def from_a_school(principal: Principal) -> bool:
    """A SENCo, not a member of the council's staff."""
    return Role.SCHOOL in principal.roles and not principal.roles & {
        Role.CASEWORKER,
        Role.MANAGER,
    }


def school_problems(
    principal: Principal, body: ReferralRequest
) -> list[tuple[tuple[str, ...], str]]:
    """A SENCo's request must be the school's, for a pupil of one of their schools (each
    problem named by its field); anyone else's is not checked here."""
    if not from_a_school(principal):
        return []
    problems: list[tuple[tuple[str, ...], str]] = []
    if body.requested_by != "school":
        problems.append((("requested_by",), "a school's request is the school's: use school"))
    if body.child.school_urn not in principal.school_urns:
        problems.append((("child", "school_urn"), "must be one of your schools' URNs"))
    return problems
