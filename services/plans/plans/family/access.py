"""The family's link as a FastAPI dependency: the signed token in the path
(``shared.family_links``), of the referral's latest link generation heard of here (referrals'
``FamilyLinksRevoked``, kept in ``family_link_revocations``). The request then acts for that
referral's council only."""

from __future__ import annotations

from fastapi import HTTPException, Request, status

from plans.family import repository
from shared.councils import act_for
from shared.family_links import FamilyLink, InvalidFamilyLink, LinkToken, admit
from shared.http import database

WITHDRAWN = "this link has been withdrawn; use the link in your latest message"


class FamilyLinkRefused(HTTPException):
    """401: expired, tampered with, revoked, or not a family link at all."""

    def __init__(self, detail: str) -> None:
        super().__init__(status.HTTP_401_UNAUTHORIZED, detail)


async def family_link(request: Request, token: LinkToken) -> FamilyLink:
    """The link in the path, checked; the request then acts for that referral's council."""
    try:
        link = admit(request, token)
    except InvalidFamilyLink as exc:
        raise FamilyLinkRefused(str(exc)) from exc
    async with database(request).pool().acquire() as conn:
        await act_for(conn, [link.local_authority], local=False)  # the pool resets it
        if not await repository.link_current(conn, link):
            raise FamilyLinkRefused(WITHDRAWN)
    return link
