"""Kafka subscribers of the plans service: the draft for each referral, and what the
statutory EHC process (in referrals) changes in the plan."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from plans import changes, repository
from plans.document import PlanDocument
from plans.domain import draft_plan
from plans.lifecycle import Plan
from plans.structure import ehc_structure, with_advice
from shared.events import (
    AdviceReceived,
    EhcAssessmentRequested,
    Envelope,
    PlanIssueDecided,
    PlanRevised,
    ReferralReceived,
    StatutoryExceptionRecorded,
)
from shared.subscriptions import Conn, Events, Subscriptions

subscriptions = Subscriptions()


@subscriptions.on(ReferralReceived)
async def draft_plan_for_referral(message: Envelope[ReferralReceived], conn: Conn) -> Events:
    """Every referral gets a first draft of its support plan at once."""
    plan, drafted = draft_plan(message.data)
    return [drafted] if await repository.add_draft(conn, plan) else []


async def _plan(conn: Conn, referral_id: UUID) -> tuple[Plan, PlanDocument]:
    # No plan yet raises LookupError: dead-lettered, replayed once the draft is there.
    found = await repository.load(conn, referral_id)
    if found is None:
        raise LookupError(f"no plan for referral {referral_id}")
    plan, sections = found
    return plan, changes.document_of(sections)


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
