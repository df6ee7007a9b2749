"""A consumed batch of the intake topic's referrals taken in together on real PostgreSQL (issue
#25, ``referrals.batch_intake``): a batch's children locked, checked for duplicates, stored,
and its referrals stored, in a few statements however many it holds; and every batch (new
children, a known child, two councils, the same child twice, a child already referred, an NHS
number known with other details) leaves exactly what its referrals taken in one at a time
leave, in another database.

The batch is consumed as ``shared.consumption`` consumes it: one transaction holding its
referrals' locks (``referrals_locked``), ``shared.batches``' consumer, and when it fails, each
event again alone (a refused one then raises its ``Refused``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from asyncpg.connection import LoggedQuery
from fastapi import FastAPI
from referrals.handlers import subscriptions
from referrals.intake import name_key

from scripts.platform import IdentityProvider, migrations_of
from shared.batches import batch_consumer
from shared.dates import london_today
from shared.events import Envelope, ReferralRequested, wrap
from shared.migrations import owner_connection
from shared.referral_locks import referrals_locked
from shared.state import service_state
from tests.conftest import Databases
from tests.handling import units_of_work
from tests.integration.referrals_app import (
    BRADFORD,
    LEEDS,
    nhs_number,
    referral_body,
    referrals_service,
)

KNOWN = nhs_number(7001)  # a child known here (Leeds) with no open referral
KNOWN_OTHER = nhs_number(7004)  # another, never referred in these tests
UPN = "P938612345678"


@pytest.fixture(scope="module")
async def urls(databases: Databases) -> tuple[str, str]:
    together = await databases.fresh("intaketogether", "referrals", migrations_of("referrals"))
    alone = await databases.fresh("intakealone", "referrals", migrations_of("referrals"))
    for url in (together, alone):
        owner = await owner_connection(url)
        try:
            for nhs in (KNOWN, KNOWN_OTHER):
                await owner.execute(
                    """INSERT INTO children (id, nhs_number, given_name, family_name, name_key,
                           date_of_birth, postcode, local_authority)
                       VALUES ($1, $2, 'Known', 'Child', $3, '2018-02-03', 'LS1 1AA', $4)""",
                    uuid4(), nhs, name_key("Known", "Child"), LEEDS,
                )  # fmt: skip
        finally:
            await owner.close()
    return together, alone


@pytest.fixture(scope="module")
async def apps(urls: tuple[str, str], identity: IdentityProvider) -> AsyncIterator[list[FastAPI]]:
    together, alone = urls
    async with (
        referrals_service(together, identity) as first,
        referrals_service(alone, identity) as second,
    ):
        yield [first, second]


def _event(body: dict[str, Any]) -> Envelope[Any]:
    event = ReferralRequested(referral_id=uuid4(), request=body)
    return wrap(event, source="/send-platform/tests", local_authority=body["local_authority"])


async def _batch(app: FastAPI, messages: list[Envelope[Any]], statements: list[str]) -> None:
    """``messages`` consumed as one batch (raises what its handlers raise); its statements."""
    state = service_state(app)
    (subscription,) = [s for s in subscriptions if s.event_class is ReferralRequested]
    consume = batch_consumer(subscription, units_of_work(state.outbox, state.own), "referrals")

    def logged(query: LoggedQuery) -> None:
        statements.append(query.query)

    async with state.database.pool().acquire() as conn:
        conn.add_query_logger(logged)
        try:
            async with conn.transaction(), referrals_locked(conn, (m.subject for m in messages)):
                await consume(messages, conn)
        finally:
            conn.remove_query_logger(logged)


async def _consumed(
    app: FastAPI, messages: list[Envelope[Any]], statements: list[str] | None = None
) -> dict[str, str]:
    """Each referral's outcome, the batch consumed as ``shared.consumption`` does: together,
    or if that fails, each alone ("taken in", or why it was refused or dead-lettered);
    ``statements``: those of the attempt together."""
    try:
        await _batch(app, messages, [] if statements is None else statements)
        return {m.subject: "taken in" for m in messages}
    except Exception:
        outcomes = {}
        for message in messages:
            try:
                await _batch(app, [message], [])
                outcomes[message.subject] = "taken in"
            except Exception as exc:
                # A refusal's code, or what the dead letter's reason would say.
                outcomes[message.subject] = getattr(exc, "code", f"{type(exc).__name__}: {exc}")
        return outcomes


async def _left(url: str, messages: list[Envelope[Any]]) -> list[Any]:
    """What the referrals left (in the order of their ids), read as the owner (all councils):
    each referral's row and its child's, timeline, EHC request, outbox events and audit rows;
    the known children; how many children there are."""
    ids = [UUID(m.subject) for m in messages]
    owner = await owner_connection(url)
    try:
        rows = await owner.fetch(
            """SELECT r.id, r.local_authority, r.requested_by, r.primary_need,
                      r.postcode_district, r.received_on, r.status, r.secondary_needs,
                      r.school_urn, r.language, r.assessment_suggested, r.track,
                      c.nhs_number, c.given_name, c.family_name, c.name_key, c.date_of_birth,
                      c.postcode, c.upn, c.local_authority AS child_council,
                      (SELECT array_agg(t.step || '/' || t.service ORDER BY t.step)
                       FROM timeline t WHERE t.referral_id = r.id) AS steps,
                      (SELECT count(*) FROM ehc_requests e WHERE e.referral_id = r.id) AS ehc,
                      (SELECT count(*) FROM deadlines d WHERE d.referral_id = r.id) AS deadlines,
                      (SELECT array_agg(o.topic ORDER BY o.topic) FROM outbox o
                       WHERE o.key = r.id::text) AS events,
                      (SELECT array_agg(a.action || '/' || a.resource || '/' || a.local_authority
                                        ORDER BY a.action, a.resource)
                       FROM audit_log a WHERE a.referral_id = r.id) AS audits
               FROM referrals r JOIN children c ON c.id = r.child_id
               WHERE r.id = ANY($1::uuid[]) ORDER BY r.id""",
            ids,
        )
        known = await owner.fetch(
            "SELECT postcode, upn FROM children WHERE nhs_number = ANY($1) ORDER BY nhs_number",
            [KNOWN, KNOWN_OTHER],
        )
        children = await owner.fetchval("SELECT count(*) FROM children")
    finally:
        await owner.close()
    return [[dict(r) for r in rows], [dict(k) for k in known], children]


async def _same_as_one_at_a_time(
    apps: list[FastAPI], urls: tuple[str, str], messages: list[Envelope[Any]]
) -> dict[str, str]:
    together, alone = apps
    statements: list[str] = []
    outcomes = await _consumed(together, messages, statements)
    if set(outcomes.values()) == {"taken in"}:  # together, not each alone
        assert len([s for s in statements if "INSERT INTO referrals" in s]) == 1, statements
    one_at_a_time = {}
    for message in messages:
        one_at_a_time.update(await _consumed(alone, [message]))
    assert outcomes == one_at_a_time
    assert await _left(urls[0], messages) == await _left(urls[1], messages)
    return outcomes


def _mixed_batch() -> list[Envelope[Any]]:
    """New children of two councils (one the same name, birthday and postcode in both: two
    children), one with an NHS number, one asking for an EHC needs assessment, and the known
    child at a new address with its UPN."""
    same: dict[str, Any] = {"given_name": "Sam", "family_name": "Twice", "postcode": "LS6 2AB"}
    return [
        _event(referral_body(nhs_number=nhs_number(7002))),
        _event(referral_body(**same)),
        _event(referral_body(council=BRADFORD, **same)),
        _event(referral_body(track="ehc")),
        _event(
            referral_body(
                given_name="Known",
                family_name="Child",
                date_of_birth="2018-02-03",
                nhs_number=KNOWN,
                postcode="LS7 3BB",
                upn=UPN,
            )
        ),
        _event(referral_body(council=BRADFORD, nhs_number=nhs_number(7003))),
    ]


async def test_a_batch_is_taken_in_as_one_at_a_time_would(
    apps: list[FastAPI], urls: tuple[str, str]
) -> None:
    first = _mixed_batch()
    assert set((await _same_as_one_at_a_time(apps, urls, first)).values()) == {"taken in"}
    # Then a batch with the same child twice (the second is the duplicate), a child of the
    # first batch (already referred), known NHS numbers with another name, and a request
    # from the future (dead-lettered).
    twice: dict[str, Any] = {"given_name": "Ada", "family_name": "Again", "postcode": "LS8 1AA"}
    second = [
        _event(referral_body()),
        _event(referral_body(**twice)),
        _event(referral_body(**twice)),
        _event(referral_body(nhs_number=nhs_number(7002))),
        _event(referral_body(given_name="Other", family_name="Name", nhs_number=KNOWN)),
        _event(referral_body(given_name="Other", family_name="Name", nhs_number=KNOWN_OTHER)),
        _event(referral_body(council=BRADFORD)),
        _event(referral_body(received_on=london_today() + timedelta(days=2))),
    ]
    outcomes = await _same_as_one_at_a_time(apps, urls, second)
    assert [outcomes[m.subject] for m in second] == [
        "taken in",
        "taken in",
        "already-referred",
        "already-referred",
        "already-referred",  # the known child has the first batch's open referral now
        "child-details-differ",
        "taken in",
        f"ValueError: received_on: must not be in the future (today is {london_today()})",
    ]


async def test_a_batchs_intake_is_a_few_statements_however_many_it_holds(
    apps: list[FastAPI],
) -> None:
    counts = []
    for size in (3, 8):
        statements: list[str] = []
        bodies = [referral_body(nhs_number=nhs_number(7100 + size * 10 + i)) for i in range(size)]
        await _batch(apps[0], [_event(body) for body in bodies], statements)
        statements = [s for s in statements if "typeinfo_tree" not in s]  # asyncpg's, once
        assert len([s for s in statements if "INSERT INTO referrals" in s]) == 1, statements
        assert len([s for s in statements if "INSERT INTO children" in s]) == 1, statements
        # Its children: the duplicate check, the known ones read, the new ones inserted.
        assert len([s for s in statements if "children" in s]) == 3, statements
        counts.append(len(statements))
    assert counts[0] == counts[1], counts  # one at a time: five more a referral
