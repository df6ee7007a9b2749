"""A service's own changes to a child's record are in the audit trail too, as
``system:<service>``: a plan drafted from an event (plans), an allocation made, a place on the
waitlist, an allocation ended, an allocation re-weighed when its referral is escalated to an EHC
request (specialists), a message queued (notifications). Real
PostgreSQL, each service's database, its handlers run as the runtime runs them (one
transaction, the event's council, the application role)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from notifications import handlers as notifications
from specialists.needs import weight

from scripts.platform import migrations_of, service_url
from shared.councils import act_for
from shared.events import (
    DomainEvent,
    ReferralClosed,
    ReferralReceived,
    Sen2Need,
    SpecialistAssigned,
    wrap,
)
from shared.migrations import owner_connection
from shared.outbox import Outbox
from tests.conftest import Databases
from tests.handling import handle_as_service
from tests.integration.plans_app import handled
from tests.integration.specialists_app import LEEDS, ehc_request, handle, plan

Handler = Callable[[Any, Any], Awaitable[Any]]


def _received(referral_id: UUID) -> ReferralReceived:
    return ReferralReceived(
        referral_id=referral_id,
        local_authority=LEEDS,
        received_on=date(2026, 11, 2),
        primary_need=Sen2Need.SLCN,
        requested_by="school",
        postcode_district="LS6",
        decision_due=date(2026, 12, 14),
        final_plan_due=date(2027, 3, 22),
        phase="primary",
    )


async def _run(owner_url: str, handler: Handler, event: DomainEvent) -> Any:
    conn = await asyncpg.connect(service_url(owner_url))
    try:
        async with conn.transaction():
            await act_for(conn, [LEEDS])
            return await handler(wrap(event, source="/tests", local_authority=LEEDS), conn)
    finally:
        await conn.close()


async def _audit(owner_url: str, referral_id: UUID) -> list[tuple[str, ...]]:
    owner = await owner_connection(owner_url)
    try:
        rows = await owner.fetch(
            """SELECT actor, action, resource, local_authority, request_id IS NULL AS no_request
               FROM audit_log WHERE referral_id = $1 ORDER BY id""",
            referral_id,
        )
    finally:
        await owner.close()
    assert all(r["no_request"] and r["local_authority"] == LEEDS for r in rows)
    return [(r["actor"], r["action"], r["resource"]) for r in rows]


async def test_a_plan_drafted_from_an_event_is_audited_once(databases: Databases) -> None:
    url = await databases.fresh("handler-audit-plans", "plans", migrations_of("plans"))
    referral_id = uuid4()
    conn = await asyncpg.connect(service_url(url))
    try:
        for _ in range(2):  # then a late copy: no change
            async with conn.transaction():
                await handled(
                    conn, wrap(_received(referral_id), source="/t", local_authority=LEEDS)
                )
    finally:
        await conn.close()
    assert await _audit(url, referral_id) == [("system:plans", "create", "plan")]


async def test_allocations_made_and_ended_by_events_are_audited(databases: Databases) -> None:
    url = await databases.fresh(
        "handler-audit-specialists", "specialists", migrations_of("specialists")
    )
    pool = await asyncpg.create_pool(service_url(url), min_size=1, max_size=2)
    try:
        drafted = plan()
        caused = await handle(pool, drafted)
        assigned = [e for e in caused if isinstance(e, SpecialistAssigned)]
        assert assigned, caused  # the seeded Leeds registry has speech and language therapists
        closed = ReferralClosed(
            referral_id=drafted.referral_id,
            local_authority=LEEDS,
            reason="support_completed",
            closed_on=date(2026, 12, 1),
        )
        await handle(pool, closed)
    finally:
        await pool.close()
    audit = await _audit(url, drafted.referral_id)
    made = [("system:specialists", "create", "allocation")] * len(assigned)
    waited = [("system:specialists", "create", "waitlist")] * (len(caused) - len(assigned))
    ended = [("system:specialists", "update", "allocation")] * len(assigned)
    assert sorted(audit[: len(caused)]) == sorted(made + waited)
    assert audit[len(caused) :] == ended


async def test_an_escalation_re_weighing_allocations_is_audited_once(
    databases: Databases,
) -> None:
    url = await databases.fresh(
        "handler-audit-reweigh", "specialists", migrations_of("specialists")
    )
    pool = await asyncpg.create_pool(service_url(url), min_size=1, max_size=2)
    try:
        drafted = plan()  # the support track: each allocation weighs a support case
        assigned = [e for e in await handle(pool, drafted) if isinstance(e, SpecialistAssigned)]
        assert assigned
        escalated = ehc_request(drafted.referral_id, LEEDS, date(2027, 1, 4))
        await handle(pool, escalated)
        await handle(pool, escalated)  # a redelivery: nothing left to re-weigh
    finally:
        await pool.close()
    owner = await owner_connection(url)
    try:
        heavier = await owner.fetchval(
            """SELECT count(*) FROM allocations
               WHERE referral_id = $1 AND id = ANY ($2::uuid[]) AND weight = $3""",
            drafted.referral_id,
            [a.allocation_id for a in assigned],
            weight("ehc", drafted.primary_need),
        )
    finally:
        await owner.close()
    assert heavier == len(assigned)  # the escalation re-weighed every allocation
    audit = await _audit(url, drafted.referral_id)
    reweighed = [row for row in audit if row[1] == "reweigh"]
    assert reweighed == [("system:specialists", "reweigh", "allocation")] * len(assigned)


async def test_each_message_queued_from_an_event_is_audited(databases: Databases) -> None:
    url = await databases.fresh(
        "handler-audit-notifications", "notifications", migrations_of("notifications")
    )
    referral_id = uuid4()
    conn = await asyncpg.connect(service_url(url))
    try:
        message = wrap(_received(referral_id), source="/tests", local_authority=LEEDS)
        outbox = Outbox(source="/send-platform/notifications", declared=())
        await handle_as_service(
            conn, notifications.subscriptions, message, service="notifications", outbox=outbox
        )
    finally:
        await conn.close()
    owner = await owner_connection(url)
    try:
        queued = await owner.fetchval(
            "SELECT count(*) FROM notifications WHERE referral_id = $1", referral_id
        )
    finally:
        await owner.close()
    assert queued >= 1
    assert (
        await _audit(url, referral_id)
        == [("system:notifications", "create", "notification")] * queued
    )
