"""A partner's referral for a child the council may already know, held for a caseworker to match.

Refusing it would tell the partner, from an NHS number alone, that the child is known to the
council's SEND team (and, as the refusal did, which referral). So a partner (an NHS system,
over HTTP or Kafka) whose referral finds the child's open referral here, or the NHS number of
a known child with another name or date of birth, gets the answer a new referral gets: our id
(the held request's), ``referral_received``. Nothing reaches the family: no referral is made,
so no "we received the request" message a second time. A ``PartnerReferralHeld`` event tells
the council's SEND team on the referral it may duplicate, and audits the attempt there (as
the partner: ``shared.audits``); a caseworker then decides what becomes of it
(``referrals.held_referrals``). Staff (caseworkers, managers) are answered as before: a 409
naming the open referral.
"""

from __future__ import annotations

from typing import Any

from referrals import repository
from referrals.domain import NewReferral
from referrals.intake import name_key
from referrals.schemas import Child, ReferralReceipt, ReferralRequest
from referrals.taking_in import Refused, receipt_of
from shared.auth import Principal, Role
from shared.db import Connection
from shared.events import DomainEvent, PartnerReferralHeld

RESOURCE = "held-referral"
"""The audit trail's name for a held request."""


def held_for(principal: Principal) -> bool:
    """Whether a duplicate from ``principal`` is held rather than refused: a partner system
    or a school's SENCo, not a member of the council's staff (who may know which referral it
    is)."""
    return bool(principal.roles & {Role.PARTNER, Role.SCHOOL}) and not principal.roles & {
        Role.CASEWORKER,
        Role.MANAGER,
    }


def differing(child: Child, known: Any) -> list[str]:
    """Which of ``child``'s details differ from the known child's: field names, never values."""
    if known is None:
        return []
    found = []
    if child.nhs_number is not None and child.nhs_number != known["nhs_number"]:
        found.append("child.nhs_number")
    if name_key(child.given_name, child.family_name) != known["name_key"]:
        found.append("child.name")
    if child.date_of_birth != known["date_of_birth"]:
        found.append("child.date_of_birth")
    if str(child.postcode) != known["postcode"]:
        found.append("child.postcode")
    return found


async def hold(
    conn: Connection,
    referral: NewReferral,
    body: ReferralRequest,
    refused: Refused,
    *,
    partner: str,
    request_id: str | None = None,
) -> tuple[list[DomainEvent], ReferralReceipt]:
    """Hold a partner's referral that ``take_in`` refused (in the caller's unit of work, which
    ``take_in`` left as it found it); returns the event for the SEND team (the unit of work
    audits it) and the receipt a referral taken in would have had."""
    suspected = refused.referral_id
    if suspected is None and refused.child_id is not None:
        suspected = await repository.latest_referral_of_child(conn, refused.child_id)
    if suspected is None:  # a known child always has a referral: never expected
        raise refused
    differs = differing(body.child, await repository.child_of(conn, suspected))
    request = body.model_copy(update={"received_on": referral.received_on})
    await conn.execute(
        """INSERT INTO held_referrals (id, local_authority, partner, request_id, reason,
               suspected_referral_id, differs, track, primary_need, received_on,
               date_of_birth, request)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb)""",
        referral.referral_id,
        referral.local_authority,
        partner,
        request_id,
        refused.code,
        suspected,
        differs,
        referral.track,
        referral.primary_need and referral.primary_need.value,
        referral.received_on,
        body.child.date_of_birth,
        request.model_dump_json(),
    )
    held = PartnerReferralHeld(
        referral_id=suspected,
        local_authority=referral.local_authority,
        held_referral_id=referral.referral_id,
        partner=partner,
        reason=refused.code,
        differs=differs,
    )
    return [held], receipt_of(referral)
