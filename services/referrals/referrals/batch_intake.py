"""A consumed batch of referrals from the intake topic, taken in together (issue #25).

Each referral taken in was five statements of its own (``taking_in.take_in``): its child's
identities locked, the duplicate check, the child known by NHS number read, the child inserted
or its postcode updated, the referral inserted. So before the batch's handlers run, the batch
does the same for all its referrals in a few statements: every identity of every child locked
in one (sorted), the duplicate check for every child in one, the known children read in one,
the new children inserted in one, the known ones updated in one, the referrals inserted in one.
Each referral's handler then finds its referral stored (``stored``) and does the rest as ever
(its events, its EHC clock, its timeline steps, which wait for the batch's end).

Equivalent to one at a time because it is done only when one at a time would take every
referral in: if any event breaks the intake rules, has a child with an open referral here, an
NHS number known with other details, or the same child as an earlier referral of the batch
(the same council, and the same NHS number, or the same name, date of birth and postcode:
what the duplicate check would find of the earlier one's child and referral), nothing is done
here; the handlers take each in as before, the one at fault raises, and the batch is taken
again one event at a time (``shared.consumption``), which refuses or dead-letters exactly that
one. Otherwise no referral of the batch changes what another's statements would see: a known
child's postcode updated by one is a child no other in the batch shares.

Row-level security: the batch acts for all its events' councils while it stores them; every
statement names the council of each row, so each sees and writes what acting for that
referral's council alone would.

(Longer than most modules: six statements' SQL, each the set form of one of ``taking_in``'s,
and the checks that make them equivalent to it, are one mechanism.)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID, uuid4

from referrals import repository, taking_in  # (taking_in imports this: its module, not names)
from referrals.domain import NewReferral, Step
from referrals.intake import name_key
from referrals.schemas import Child, ReferralRequest
from referrals.state import referrals_of
from shared.councils import act_for
from shared.dates import london_today
from shared.db import Connection
from shared.events import Envelope, ReferralRequested
from shared.referral_locks import held_on

FEWEST = 2
"""A batch of one is taken in by its handler alone, as it always was."""

OPEN_REFERRALS_FOR = """
    SELECT q.i
    FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::text[])
         WITH ORDINALITY AS q(local_authority, nhs_number, name_key, date_of_birth, postcode, i)
    WHERE EXISTS (
        SELECT 1
        FROM (SELECT id FROM children
              WHERE local_authority = q.local_authority AND nhs_number = q.nhs_number
                AND erased_at IS NULL
              UNION
              SELECT id FROM children
              WHERE local_authority = q.local_authority AND date_of_birth = q.date_of_birth
                AND name_key = q.name_key AND postcode = q.postcode
                AND erased_at IS NULL) AS child
        CROSS JOIN LATERAL (
              SELECT id, created_at FROM referrals
              WHERE child_id = child.id AND local_authority = q.local_authority
                AND closed_at IS NULL
              ORDER BY created_at LIMIT 1) AS r)"""
"""Which of the batch's children (by position) has an open referral of its council: the
duplicate check (``repository.OPEN_REFERRAL_FOR``) for each, in its plan-stable form (each
child found first by each identity, then its open referrals), run for each child in turn
(a correlated ``EXISTS`` is never made a join): never a scan of the council's children, even
planned on a new database's empty tables (``test_referrals_plans_on_fresh_statistics``)."""

KNOWN_CHILDREN = """
    SELECT q.local_authority, q.nhs_number, c.id, c.name_key, c.date_of_birth
    FROM unnest($1::text[], $2::text[]) AS q(local_authority, nhs_number)
    CROSS JOIN LATERAL (
        SELECT id, name_key, date_of_birth FROM children
        WHERE local_authority = q.local_authority AND nhs_number = q.nhs_number
        LIMIT 1) AS c"""
"""The children known here by the batch's NHS numbers (one per council and number: the unique
index's), each looked up as ``repository.CHILD_BY_NHS_NUMBER`` looks one up (the ``LIMIT``
keeps the subquery a look-up for each number, never a join of all the council's children)."""

INSERT_CHILDREN = """
    INSERT INTO children (id, nhs_number, given_name, family_name, name_key, date_of_birth,
                          postcode, local_authority, upn)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::date[], $7::text[], $8::text[], $9::text[])"""

UPDATE_CHILDREN = """
    UPDATE children c SET postcode = k.postcode, upn = coalesce(k.upn, c.upn)
    FROM unnest($1::uuid[], $2::text[], $3::text[]) AS k(id, postcode, upn)
    WHERE c.id = k.id"""
"""Known children: the latest address is the one to use; a UPN given replaces the one known."""

INSERT_REFERRALS = """
    INSERT INTO referrals (id, child_id, local_authority, requested_by, primary_need,
                           postcode_district, received_on, status, secondary_needs,
                           school_urn, language, assessment_suggested)
    SELECT id, child_id, local_authority, requested_by, primary_need, postcode_district,
           received_on, status,
           array(SELECT jsonb_array_elements_text(secondary_needs::jsonb)),
           school_urn, language, assessment_suggested
    FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::date[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bool[])
         AS r(id, child_id, local_authority, requested_by, primary_need, postcode_district,
              received_on, status, secondary_needs, school_urn, language,
              assessment_suggested)
    RETURNING id, created_at"""
"""The batch's referrals (each one's secondary needs as a JSON array: an array of arrays of
different lengths cannot be unnested)."""

_KEY = "referrals.intake"  # this module's memory in HeldReferrals


@dataclass(frozen=True)
class _Stored:
    referral: NewReferral
    child: Child
    created_at: datetime


@dataclass(frozen=True)
class _Request:
    referral: NewReferral
    child: Child
    name_key: str

    @property
    def identities(self) -> list[str]:
        """The child's identities as ``taking_in`` locks them (its council's)."""
        child = self.child
        identities = repository.child_identities(
            self.name_key, child.date_of_birth, child.postcode, child.nhs_number
        )
        return repository.identity_keys(self.referral.local_authority, identities)

    @property
    def by_name(self) -> tuple[str, str, date, str]:
        c = self.child
        return (self.referral.local_authority, self.name_key, c.date_of_birth, str(c.postcode))


async def take_in_together(
    conn: Connection, messages: Sequence[Envelope[Any]], service: object
) -> None:
    """Store the batch's children and referrals together, when one at a time would take each
    in (see the module docstring); else nothing. ``service``: the referrals service's state."""
    held = held_on(conn)
    if held is None or len(messages) < FEWEST:
        return
    requests = _requests(cast("Sequence[Envelope[ReferralRequested]]", messages), service)
    if requests is None or not _distinct_children(requests):
        return
    await act_for(conn, sorted({r.referral.local_authority for r in requests}))
    identities = sorted({i for r in requests for i in r.identities})
    await conn.execute(repository.LOCK_CHILD, identities)  # every child's, in one order
    if await conn.fetch(OPEN_REFERRALS_FOR, *_columns(requests)):
        return  # a duplicate: its handler refuses it, and the batch goes one at a time
    with_nhs = [r for r in requests if r.child.nhs_number is not None]
    known = {
        (row["local_authority"], row["nhs_number"]): row
        for row in await conn.fetch(
            KNOWN_CHILDREN,
            [r.referral.local_authority for r in with_nhs],
            [r.child.nhs_number for r in with_nhs],
        )
    }
    child_ids: dict[UUID, UUID] = {}
    new: list[_Request] = []
    for request in requests:
        row = known.get((request.referral.local_authority, request.child.nhs_number))
        if row is None:
            new.append(request)
            child_ids[request.referral.referral_id] = uuid4()
        elif (row["name_key"], row["date_of_birth"]) != (
            request.name_key,
            request.child.date_of_birth,
        ):
            return  # other details: its handler refuses it, and the batch goes one at a time
        else:
            child_ids[request.referral.referral_id] = row["id"]
    await _store_children(conn, requests, new, child_ids)
    created = await _store_referrals(conn, requests, child_ids)
    held.remembered[_KEY] = {
        r.referral.referral_id: _Stored(r.referral, r.child, created[r.referral.referral_id])
        for r in requests
    }


def stored(conn: Connection, referral: NewReferral, child: Child) -> datetime | None:
    """When the batch on ``conn`` stored ``referral`` and its child (``take_in_together``);
    None if it did not (outside a batch, a batch of one, or one taken in one at a time).
    ``ValueError`` if it stored this referral otherwise (a handler that read its event on a
    new day): the batch then goes one at a time."""
    held = held_on(conn)
    memory = None if held is None else held.remembered.get(_KEY)
    if memory is None:
        return None
    found = cast("dict[UUID, _Stored]", memory).get(referral.referral_id)
    if found is None:
        return None
    if (found.referral, found.child) != (referral, child):
        raise ValueError(f"referral {referral.referral_id}: taken in with other details")
    return found.created_at


def _requests(
    messages: Sequence[Envelope[ReferralRequested]], service: object
) -> list[_Request] | None:
    """Each event's referral as its handler reads it (``handlers.referral_requested``); None
    if any breaks the rules (its handler says why)."""
    today = london_today()
    rules = referrals_of(service).intake_rules
    requests = []
    for message in messages:
        try:
            body = ReferralRequest.model_validate(message.data.request)
        except ValueError:
            return None
        if body.local_authority != message.localauthority or taking_in.rule_problems(
            rules, body, today
        ):
            return None
        referral = taking_in.new_referral(message.data.referral_id, body, today)
        key = name_key(body.child.given_name, body.child.family_name)
        requests.append(_Request(referral, body.child, key))
    return requests


def _distinct_children(requests: list[_Request]) -> bool:
    """No referral's child is an earlier one's (the duplicate check would find the earlier
    one's referral): by NHS number, or by name, date of birth and postcode, in one council."""
    by_nhs: set[tuple[str, str]] = set()
    by_name: set[tuple[str, str, date, str]] = set()
    for request in requests:
        nhs = request.child.nhs_number
        if request.by_name in by_name or (
            nhs is not None and (request.referral.local_authority, nhs) in by_nhs
        ):
            return False
        by_name.add(request.by_name)
        if nhs is not None:
            by_nhs.add((request.referral.local_authority, nhs))
    return True


def _columns(requests: list[_Request]) -> list[list[Any]]:
    return [
        [r.referral.local_authority for r in requests],
        [r.child.nhs_number for r in requests],
        [r.name_key for r in requests],
        [r.child.date_of_birth for r in requests],
        [str(r.child.postcode) for r in requests],
    ]


async def _store_children(
    conn: Connection, requests: list[_Request], new: list[_Request], ids: dict[UUID, UUID]
) -> None:
    if new:
        await conn.execute(
            INSERT_CHILDREN,
            [ids[r.referral.referral_id] for r in new],
            [r.child.nhs_number for r in new],
            [r.child.given_name for r in new],
            [r.child.family_name for r in new],
            [r.name_key for r in new],
            [r.child.date_of_birth for r in new],
            [str(r.referral.postcode) for r in new],
            [r.referral.local_authority for r in new],
            [r.child.upn for r in new],
        )
    added = {r.referral.referral_id for r in new}
    known = [r for r in requests if r.referral.referral_id not in added]
    if known:
        await conn.execute(
            UPDATE_CHILDREN,
            [ids[r.referral.referral_id] for r in known],
            [str(r.referral.postcode) for r in known],
            [r.child.upn for r in known],
        )


async def _store_referrals(
    conn: Connection, requests: list[_Request], child_ids: dict[UUID, UUID]
) -> dict[UUID, datetime]:
    referrals = [r.referral for r in requests]
    rows = await conn.fetch(
        INSERT_REFERRALS,
        [r.referral_id for r in referrals],
        [child_ids[r.referral_id] for r in referrals],
        [r.local_authority for r in referrals],
        [r.requested_by for r in referrals],
        [r.primary_need and r.primary_need.value for r in referrals],
        [r.postcode.district for r in referrals],
        [r.received_on for r in referrals],
        [Step.RECEIVED.value for _ in referrals],
        [json.dumps([n.value for n in r.secondary_needs]) for r in referrals],
        [r.school_urn for r in referrals],
        [r.language for r in referrals],
        [r.assessment_suggested for r in referrals],
    )
    return {row["id"]: row["created_at"] for row in rows}
