"""Retention reaches every copy: when referrals erases a child's details it publishes
ChildDetailsErased, and plans (the words in every version of the plan, the family's comments,
words still waiting for a draft) and notifications (the family's contact details) erase theirs,
once, audited as ``system:retention``, and a repeat changes nothing (real PostgreSQL, each
service's database, the application role under row-level security)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID, uuid4

import asyncpg
import pytest
from notifications import handlers as notifications
from plans.document import Outcome

from scripts.platform import migrations_of, service_url
from shared.councils import act_for
from shared.events import ChildDetailsErased, Envelope, wrap
from shared.migrations import owner_connection
from shared.outbox import Outbox
from tests.conftest import Databases
from tests.handling import handle_as_service
from tests.integration.plans_app import handled
from tests.integration.plans_family import BRADFORD, LEEDS, seed_plan
from tests.plan_documents import plans_by_area

WORDS = "Sam Example of 4 Acacia Avenue"  # stands for anything a person wrote about a child


def _erased(referral_id: UUID, council: str = LEEDS) -> Envelope[ChildDetailsErased]:
    event = ChildDetailsErased(
        referral_id=referral_id, local_authority=council, erased_on=date(2057, 3, 14)
    )
    return wrap(event, source="/send-platform/referrals", local_authority=council)


async def _handle_as_service(
    owner_url: str, handler: object, *messages: Envelope[ChildDetailsErased]
) -> None:
    """Each message handled as the service's consumer does: its own transaction, acting for
    the event's council."""
    conn = await asyncpg.connect(service_url(owner_url))
    try:
        for message in messages:
            async with conn.transaction():
                await act_for(conn, [message.localauthority])
                assert await handler(message, conn) == []  # type: ignore[operator]
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def plans_url(databases: Databases) -> str:
    return await databases.fresh("retention-plans", "plans", migrations_of("plans"))


@pytest.fixture(scope="module")
async def notifications_url(databases: Databases) -> str:
    return await databases.fresh(
        "retention-notifications", "notifications", migrations_of("notifications")
    )


@pytest.fixture
async def plans_owner(plans_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(plans_url)
    yield conn
    await conn.close()


async def _plan_with_words(owner: asyncpg.Connection, plans_url: str, council: str) -> UUID:
    """A plan whose every free-text place holds WORDS, in its current sections and a version,
    with the family's comments on it and words waiting for a redraft."""
    base = plans_by_area()["communication-and-interaction"]
    caseworker_outcome = Outcome(
        id="outcome-9",
        need_ids=["need-1"],
        text=f"By July 2027 {WORDS} asks for help",
        measure=f"{WORDS}'s teacher observes",
        review_on=date(2027, 7, 16),
        standard_id="caseworker",
    )
    document = base.model_copy(
        update={
            "A": WORDS,
            "C": WORDS,
            "I": WORDS,
            "B": [base.B[0].model_copy(update={"in_the_referrers_words": WORDS})],
            "E": [*base.E, caseworker_outcome],
        }
    )
    referral_id = await seed_plan(plans_url, document, council=council)
    plan_id = await owner.fetchval(
        "SELECT id FROM support_plans WHERE referral_id = $1", referral_id
    )
    await owner.execute(
        """INSERT INTO plan_versions (plan_id, version, referral_id, local_authority, status,
               document, changed_by, reason)
           VALUES ($1, 1, $2, $3, 'shared', $4::jsonb, 'plans', 'drafted')""",
        plan_id, referral_id, council, json.dumps(document.model_dump(mode="json")),
    )  # fmt: skip
    await owner.execute(
        """INSERT INTO plan_comments (id, plan_id, version, referral_id, local_authority,
               comments, preferred_school, agreed, taken_by)
           VALUES ($1, $2, 1, $3, $4, $5, $5, false, 'family')""",
        uuid4(), plan_id, referral_id, council, WORDS,
    )  # fmt: skip
    await owner.execute(
        """INSERT INTO plan_inputs (referral_id, local_authority, described)
           VALUES ($1, $2, $3::jsonb)""",
        referral_id, council, json.dumps({"strengths": WORDS}),
    )  # fmt: skip
    return referral_id


async def _stored_text(owner: asyncpg.Connection, referral_id: UUID) -> str:
    """Everything plans stores about the referral, as one text."""
    parts = [
        await owner.fetchval(
            "SELECT sections::text FROM support_plans WHERE referral_id = $1", referral_id
        ),
        *[
            r["row"]
            for table in ("plan_versions", "plan_comments", "plan_inputs")
            for r in await owner.fetch(
                f"SELECT t::text AS row FROM {table} t WHERE referral_id = $1", referral_id
            )
        ],
    ]
    return "\n".join(p for p in parts if p)


async def test_plans_erases_the_words_about_the_child_in_every_copy_once_and_audited(
    plans_owner: asyncpg.Connection, plans_url: str
) -> None:
    erased = await _plan_with_words(plans_owner, plans_url, LEEDS)
    kept = await _plan_with_words(plans_owner, plans_url, BRADFORD)
    assert WORDS in await _stored_text(plans_owner, erased)

    conn = await asyncpg.connect(service_url(plans_url))
    try:
        for message in (_erased(erased), _erased(erased)):  # a repeat changes nothing
            async with conn.transaction():
                await handled(conn, message)
    finally:
        await conn.close()

    assert WORDS not in await _stored_text(plans_owner, erased)
    assert WORDS in await _stored_text(plans_owner, kept)  # another child's plan is untouched
    sections = json.loads(
        await plans_owner.fetchval(
            "SELECT sections::text FROM support_plans WHERE referral_id = $1", erased
        )
    )
    assert sections["A"] == "erased"
    assert sections["B"][0]["in_the_referrers_words"] is None
    assert sections["B"][0]["code"] == "SLCN"  # the codes stay, for the council's statistics
    standard_line, caseworker_line = sections["E"]
    assert caseworker_line["text"] == "erased"
    assert standard_line["standard_id"] != "caseworker"
    assert standard_line["text"] != "erased"
    comments = await plans_owner.fetchrow(
        "SELECT comments, preferred_school FROM plan_comments WHERE referral_id = $1", erased
    )
    assert comments is not None
    assert tuple(comments) == ("erased", None)
    audit = await plans_owner.fetch(
        "SELECT actor, action, resource, local_authority FROM audit_log WHERE referral_id = $1",
        erased,
    )
    assert [tuple(a) for a in audit] == [("system:retention", "erase", "plan", LEEDS)]


async def test_notifications_erases_the_familys_contact_details_once_and_audited(
    notifications_url: str,
) -> None:
    owner = await owner_connection(notifications_url)
    try:
        erased, kept = uuid4(), uuid4()
        for referral_id in (erased, kept):
            await owner.execute(
                """INSERT INTO family_contacts (referral_id, contact_name, email, phone,
                       preferred_channel, local_authority, address_lines)
                   VALUES ($1, 'Alex Example', 'alex@example.org', '07700900123', 'email',
                       $2, '{"4 Acacia Avenue", "LS6 2AB"}')""",
                referral_id,
                LEEDS,
            )

        conn = await asyncpg.connect(service_url(notifications_url))
        try:
            await handle_as_service(
                conn, notifications.subscriptions, _erased(erased), _erased(erased),
                service="notifications", outbox=Outbox(source="/tests", declared=()),
            )  # fmt: skip
        finally:
            await conn.close()

        contacts = {
            r["referral_id"]: tuple(r)[1:]
            for r in await owner.fetch(
                """SELECT referral_id, contact_name, email, phone, address_lines
                   FROM family_contacts"""
            )
        }
        assert contacts[erased] == ("erased", None, None, [])
        assert contacts[kept] == (
            "Alex Example", "alex@example.org", "07700900123", ["4 Acacia Avenue", "LS6 2AB"]
        )  # fmt: skip
        audit = await owner.fetch("SELECT actor, action, resource, local_authority FROM audit_log")
        assert [tuple(a) for a in audit] == [("system:retention", "erase", "family_contact", LEEDS)]
    finally:
        await owner.close()
