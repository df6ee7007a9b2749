"""Rules of a request made on the public form. Pure: no I/O.

Only a parent, a young person or a school or college may request an EHC needs assessment
(Children and Families Act 2014 s36(1)); a young person is over compulsory school age and under
25 (s83(2)), and from then the decisions are theirs (s83): they ask for themselves, are the
contact, and say whether what they tell us may be shared.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from referrals.domain import FamilyContact, contact_registered
from referrals.intake import age_on
from referrals.public.schemas import PublicRequest
from shared.events import DomainEvent, PublicRequestReceived

YOUNG_PERSON_UNDER = 25
Decider = Literal["parent", "young_person", "representative"]


def school_leaving_date(born: date) -> date:
    """The day compulsory school age ends for a child born on ``born``: the last Friday in
    June of the school year (1 September to 31 August) in which they turn 16 (Education Act
    1996 s8)."""
    try:
        sixteenth = born.replace(year=born.year + 16)
    except ValueError:  # born on 29 February: 1 March, the same school year
        sixteenth = date(born.year + 16, 3, 1)
    summer = sixteenth.year + 1 if sixteenth.month >= 9 else sixteenth.year
    end_of_june = date(summer, 6, 30)
    return end_of_june - timedelta(days=(end_of_june.weekday() - 4) % 7)


def young_person_problem(born: date, day: date) -> str | None:
    """Why someone born on ``born`` cannot ask as a young person on ``day``, or None."""
    if day <= school_leaving_date(born):
        return (
            "a young person asks for themselves once over compulsory school age (after the "
            f"last Friday in June of the school year they turn 16: {school_leaving_date(born)}); "
            "until then a parent or the school asks"
        )
    if age_on(born, day) >= YOUNG_PERSON_UNDER:
        return f"a young person is under {YOUNG_PERSON_UNDER} (Children and Families Act s83(2))"
    return None


def who_decides(born: date, day: date, *, represented: bool) -> Decider:
    """Who makes the decisions about the child's or young person's support on ``day`` (s83):
    the parent until the end of compulsory school age, then the young person (an adult after
    25, whose decisions stay theirs), or their representative where one acts for them (s80: a
    young person lacking capacity)."""
    if day <= school_leaving_date(born):
        return "parent"
    return "representative" if represented else "young_person"


def request_problems(body: PublicRequest, today: date) -> list[tuple[tuple[str, ...], str]]:
    """What the public form's own rules refuse in a well-formed request, by field."""
    problems: list[tuple[tuple[str, ...], str]] = []
    if body.requested_by == "young_person":
        young = young_person_problem(body.child.date_of_birth, today)
        if young:
            problems.append((("child", "date_of_birth"), young))
        if body.sharing_consent is None:
            problems.append((("sharing_consent",), "a young person says whether we may share"))
    elif body.sharing_consent is not None:
        problems.append((("sharing_consent",), "only a young person's own request records it"))
    return problems


def contact_key(contact: FamilyContact) -> str:
    """The address a request's confirmation goes to, as its daily limit counts it (a SHA-256:
    the count needs no address kept)."""
    channel = contact.preferred_channel
    if channel == "email":
        address = str(contact.email).casefold()
    elif channel == "sms":
        address = str(contact.phone)
    else:
        address = " ".join(contact.address.as_lines() if contact.address else []).casefold()
    return hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()


def received(
    request_id: UUID, body: PublicRequest, today: date, *, ask_to_confirm: bool
) -> list[DomainEvent]:
    """The events of a request kept: for notifications, the request (the link to confirm it,
    unless the contact's limit was met) and its contact."""
    return [
        PublicRequestReceived(
            referral_id=request_id,
            local_authority=body.local_authority,
            requested_by=body.requested_by,
            track=body.track,
            received_on=today,
            ask_to_confirm=ask_to_confirm,
        ),
        contact_registered(request_id, body.family_contact),
    ]
