"""Kafka subscribers of the plans service. A referral's plan is drafted once its events are
in: the referral received and, when the referrer described the child (``described``), their
words, which come on their own topic in either order. Never log the words. Then what the
statutory EHC process (in referrals) changes in the plan, revoked family links, and children's
details erased when their council's retention period has passed."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from plans import changes, erasure, repository
from plans.catalogue_store import catalogue_in_force
from plans.document import PlanDocument
from plans.domain import draft_plan
from plans.family import repository as family_repository
from plans.lifecycle import Plan
from plans.structure import ehc_structure, with_advice
from shared.audit import record_system
from shared.db import Connection
from shared.events import (
    AdviceReceived,
    ChildDetailsErased,
    EhcAssessmentRequested,
    Envelope,
    FamilyLinksRevoked,
    PlanIssueDecided,
    PlanRevised,
    ReferralDescribed,
    ReferralReceived,
    StatutoryExceptionRecorded,
)
from shared.subscriptions import Conn, Events, Subscriptions

subscriptions = Subscriptions()


@subscriptions.on(ReferralReceived)
async def draft_plan_for_referral(message: Envelope[ReferralReceived], conn: Conn) -> Events:
    """Every referral gets a first draft of its support plan at once (with the referrer's
    words when they said something: then whichever of the two events comes second drafts)."""
    referral = message.data
    if not referral.described:
        return await draft_for(conn, referral, None)
    return await _keep_then_draft(conn, message.localauthority, referral)


@subscriptions.on(ReferralDescribed)
async def referrer_described_child(message: Envelope[ReferralDescribed], conn: Conn) -> Events:
    """The referrer's words about the child, for sections A and B."""
    return await _keep_then_draft(conn, message.localauthority, message.data)


async def _keep_then_draft(
    conn: Connection, local_authority: str, event: ReferralReceived | ReferralDescribed
) -> Events:
    await repository.wait_for_referral(conn, event.referral_id)
    if await repository.has_plan(conn, event.referral_id):
        return []  # drafted already: a redelivery, or a late copy
    referral, described = await repository.keep_input(conn, local_authority, event)
    if referral is None or described is None:
        return []  # the other one is still to come
    await repository.forget_inputs(conn, referral.referral_id)
    return await draft_for(conn, referral, described)


async def draft_for(
    conn: Connection, referral: ReferralReceived, described: ReferralDescribed | None
) -> Events:
    """Draft and store the referral's plan; its announcement when it passes every check."""
    catalogue = await catalogue_in_force(conn, referral.local_authority)
    plan, drafted = draft_plan(referral, described, catalogue)
    added = await repository.add_draft(conn, plan)
    if added:
        await record_system(
            conn,
            "plans",
            "create",
            "plan",
            referral_id=referral.referral_id,
            local_authority=referral.local_authority,
        )
    return [drafted] if added and drafted is not None else []


@subscriptions.on(FamilyLinksRevoked)
async def stop_revoked_family_links(message: Envelope[FamilyLinksRevoked], conn: Conn) -> Events:
    """A caseworker revoked the family's links in referrals: they stop opening the plan too."""
    revoked = message.data
    await family_repository.links_revoked(
        conn,
        revoked.referral_id,
        revoked.local_authority,
        generation=revoked.generation,
        revoked_at=revoked.revoked_at,
    )
    return []


@subscriptions.on(ChildDetailsErased)
async def erase_child_details(message: Envelope[ChildDetailsErased], conn: Conn) -> Events:
    """Retention: referrals erased the child's details; the plan's words about them go too."""
    await erasure.erase_child_details(conn, message.data.referral_id, message.data.local_authority)
    return []


async def _plan(conn: Conn, referral_id: UUID) -> tuple[Plan, PlanDocument]:
    # No plan yet raises LookupError: dead-lettered, replayed once the draft is there.
    found = await repository.load(conn, referral_id)
    if found is None:
        raise LookupError(f"no plan for referral {referral_id}")
    plan, sections = found
    return plan, changes.document_of(sections)


async def _audit_revision(conn: Connection, plan: Plan) -> None:
    await record_system(
        conn,
        "plans",
        "update",
        "plan",
        referral_id=plan.referral_id,
        local_authority=plan.local_authority,
    )


@subscriptions.on(EhcAssessmentRequested)
async def escalated_to_ehc(message: Envelope[EhcAssessmentRequested], conn: Conn) -> Events:
    """A support request escalated to EHC: its plan gets the EHC structure (a new version)."""
    event = message.data
    if not event.escalated:
        return []  # an EHC request from the start was drafted as one
    plan, document = await _plan(conn, event.referral_id)
    changed = plan.escalated()
    if changed is None:
        return []
    changed = replace(changed, final_plan_due=event.final_plan_due)
    await changes.store(
        conn, changed, ehc_structure(document), changed_by="plans", reason="escalated to EHC"
    )
    await _audit_revision(conn, changed)
    return [PlanRevised(**changed.step(), reason="escalated", sections=[], status=changed.status)]


@subscriptions.on(AdviceReceived)
async def advice_received(message: Envelope[AdviceReceived], conn: Conn) -> Events:
    """Section K lists the advice received (a new version)."""
    plan, document = await _plan(conn, message.data.referral_id)
    listed = with_advice(document, message.data.kind, message.data.received_on)
    if listed is None:
        return []
    changed = plan.changed()
    await changes.store(conn, changed, listed, changed_by="plans", reason="advice received")
    await _audit_revision(conn, changed)
    return [
        PlanRevised(
            **changed.step(), reason="advice_received", sections=["K"], status=changed.status
        )
    ]


@subscriptions.on(PlanIssueDecided)
async def plan_issue_decided(message: Envelope[PlanIssueDecided], conn: Conn) -> Events:
    """Only once the council has decided to issue an EHC plan can its draft be issued."""
    decided = message.data.decision == "issue"
    if decided and not await repository.set_dates(
        conn, message.data.referral_id, issue_decided=True
    ):
        raise LookupError(f"no plan for referral {message.data.referral_id}")
    return []


@subscriptions.on(StatutoryExceptionRecorded)
async def deadlines_moved(message: Envelope[StatutoryExceptionRecorded], conn: Conn) -> Events:
    """An exception moved the statutory date the final plan is due by."""
    due = message.data.deadlines.get("final_plan")
    if due is not None:
        await repository.set_dates(conn, message.data.referral_id, final_plan_due=due)
    return []
