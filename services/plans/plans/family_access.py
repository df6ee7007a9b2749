"""The family's link: no account, the signed token in the path is the key (as the referrals
service's family view), scoped to one referral and expiring. The request then acts for the
link's council only, so row-level security shows it that referral's council and nothing else."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path, Request, status

from shared.auth import Principal
from shared.family_links import FamilyLink, InvalidFamilyLink, verify

LinkToken = Annotated[str, Path(min_length=20, max_length=2000, description="From the message")]


def family_link(request: Request, token: LinkToken) -> FamilyLink:
    """The link in the path, checked; the request then acts for that referral's council."""
    try:
        link = verify(request.app.state.family_link_key, token)
    except InvalidFamilyLink as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from exc
    request.state.principal = Principal(
        subject=f"family-link:{link.link_id}",
        roles=frozenset({"family"}),
        councils=(link.local_authority,),
        token_id=link.link_id,
    )
    return link
