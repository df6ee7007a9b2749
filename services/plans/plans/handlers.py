"""Kafka subscribers of the plans service, each ``(message, uow) -> events``: the events a
handler returns are written with the audit rows they stand for, as ``system:plans``, in the
transaction that records the event (``uow.conn``).

A referral's plan is drafted once its events are in: the referral received and, when the
referrer described the child (``described``), their words, which come on their own topic in
either order. Never log the words. Then what the statutory EHC process (in referrals) changes
in the plan, revoked family links, and children's details erased when their council's
retention period has passed. After an annual review, the amendments proposed and the amended
plan issued (``plans.amendments``).

(Longer than most modules: every subscriber of the plans service, one ``subscriptions``
object, read together.)"""

from __future__ import annotations

from uuid import UUID

from plans import amendments, changes, children, erasure, imported, repository
from plans.catalogue_store import catalogue_in_force
from plans.checks import check
from plans.document import PlanDocument
from plans.domain import SupportPlan, draft_plan
from plans.ehc_plan import drafted_from_advice
from plans.family import repository as family_repository
from plans.lifecycle import Plan, StepTaken
from plans.structure import with_advice
from shared.dates import london_today
from shared.events import (
    AdviceReceived,
    AmendedPlanIssued,
    AmendmentsProposed,
    ChildDetailsErased,
    ChildIdentified,
    EhcAssessmentRequested,
    Envelope,
    FamilyLinksRevoked,
    LivePlanImported,
    OpenRequestImported,
    PlanIssueDecided,
    ReferralDescribed,
    ReferralReceived,
    ReferralTriaged,
    StatutoryExceptionRecorded,
    StatutoryStep,
)
from shared.subscriptions import Events, Subscriptions, Uow

subscriptions = Subscriptions()


@subscriptions.on(ReferralReceived)
async def draft_plan_for_referral(message: Envelope[ReferralReceived], uow: Uow) -> Events:
    """Every referral gets a first draft of its support plan at once (with the referrer's
    words when they said something: then whichever of the two events comes second drafts)."""
    referral = message.data
    if not referral.described:
        return await draft_for(uow, referral, None)
    return await _keep_then_draft(uow, message.localauthority, referral)


@subscriptions.on(ReferralTriaged)
async def draft_plan_for_triaged_referral(message: Envelope[ReferralTriaged], uow: Uow) -> Events:
    """An NHS partner's referral that waited for triage: once a caseworker set its need, its
    first draft as any referral's (a partner's referral carries no words for sections A and
    B: the referrer's reasons stay with the referrals service)."""
    if await repository.has_plan(uow.conn, message.data.referral_id):
        return []  # drafted already: a redelivery
    return await draft_for(uow, message.data, None)


@subscriptions.on(ReferralDescribed)
async def referrer_described_child(message: Envelope[ReferralDescribed], uow: Uow) -> Events:
    """The referrer's words about the child, for sections A and B."""
    return await _keep_then_draft(uow, message.localauthority, message.data)


async def _keep_then_draft(
    uow: Uow, local_authority: str, event: ReferralReceived | ReferralDescribed
) -> Events:
    conn = uow.conn
    await repository.wait_for_referral(conn, event.referral_id)
    if await repository.has_plan(conn, event.referral_id):
        return []  # drafted already: a redelivery, or a late copy
    referral, described = await repository.keep_input(conn, local_authority, event)
    if referral is None or described is None:
        return []  # the other one is still to come
    await repository.forget_inputs(conn, referral.referral_id)
    return await draft_for(uow, referral, described)


async def draft_for(
    uow: Uow, referral: ReferralReceived, described: ReferralDescribed | None
) -> Events:
    """Draft and store the referral's plan (audited as created); its announcement when it
    passes every check (a draft needing attention is announced once an edit makes it pass)."""
    catalogue = await catalogue_in_force(uow.conn, referral.local_authority)
    plan, drafted = draft_plan(referral, described, catalogue)
    if not await repository.add_draft(uow.conn, plan):
        return []
    uow.changed(
        "create", "plan", referral_id=plan.referral_id, local_authority=plan.local_authority
    )
    return [] if drafted is None else [drafted]


@subscriptions.on(ChildIdentified)
async def child_identified(message: Envelope[ChildIdentified], uow: Uow) -> Events:
    """The child's name and date of birth, which the plan and its PDF carry. Never logged."""
    await children.keep(uow.conn, message.localauthority, message.data)
    return []


@subscriptions.on(FamilyLinksRevoked)
async def stop_revoked_family_links(message: Envelope[FamilyLinksRevoked], uow: Uow) -> Events:
    """A caseworker revoked the family's links in referrals: they stop opening the plan too."""
    revoked = message.data
    await family_repository.links_revoked(
        uow.conn,
        revoked.referral_id,
        revoked.local_authority,
        generation=revoked.generation,
        revoked_at=revoked.revoked_at,
    )
    return []


@subscriptions.on(ChildDetailsErased, acting_as=erasure.RETENTION)
async def erase_child_details(message: Envelope[ChildDetailsErased], uow: Uow) -> Events:
    """Retention: referrals erased the child's details; the plan's words about them go too
    (audited as ``system:retention``, once: a repeat finds nothing left to erase)."""
    erased = message.data
    if await erasure.erase_child_details(uow.conn, erased.referral_id):
        uow.changed(
            "erase", "plan", referral_id=erased.referral_id,
            local_authority=erased.local_authority,
        )  # fmt: skip
    return []


async def _plan(uow: Uow, referral_id: UUID) -> tuple[Plan, PlanDocument]:
    # No plan yet raises LookupError: dead-lettered, replayed once the draft is there.
    found = await repository.load(uow.conn, referral_id)
    if found is None:
        raise LookupError(f"no plan for referral {referral_id}")
    plan, sections = found
    return plan, changes.document_of(sections)


async def _plan_here(uow: Uow, event: StatutoryStep) -> tuple[Plan, PlanDocument] | None:
    """The request's plan, or None for a step of an open request brought in from the council's
    earlier system (``earlier_system``): its plan took that step from the request's
    ``OpenRequestImported`` (one event, so never out of order with the plan it changes; the
    steps' own come on other topics, in any order: never waited for, never dead-lettered)."""
    if event.earlier_system:
        return None
    return await _plan(uow, event.referral_id)


@subscriptions.on(OpenRequestImported)
async def open_request_imported(message: Envelope[OpenRequestImported], uow: Uow) -> Events:
    """An assessment under way in the earlier system: its plan as the steps taken there left
    it (``plans.imported``), each step a version."""
    event = message.data
    drafted = imported.first_draft(event, await catalogue_in_force(uow.conn, event.local_authority))
    steps = imported.steps_taken(imported.state_of(drafted), drafted.document, event)
    return await _brought_in(uow, drafted, "drafted", steps)


@subscriptions.on(LivePlanImported)
async def live_plan_imported(message: Envelope[LivePlanImported], uow: Uow) -> Events:
    """A plan in force in the earlier system (or transferred in): held here as final, so its
    review and amendments have a plan to change."""
    event = message.data
    catalogue = await catalogue_in_force(uow.conn, event.local_authority)
    plan = imported.plan_in_force(event, catalogue)
    in_force = imported.in_force(imported.state_of(plan), event, london_today())
    return await _brought_in(uow, plan, "brought in", [(in_force, plan.document)])


async def _brought_in(
    uow: Uow, plan: SupportPlan, why: str, steps: list[tuple[StepTaken, PlanDocument]]
) -> Events:
    """A plan brought in (audited as created) and each step it took there, a version each;
    no events: the family and the services were told by the earlier system (and its plan is
    not announced for matching: the child's support is arranged there)."""
    if not await repository.add_draft(uow.conn, plan, reason=why + imported.EARLIER_SYSTEM):
        return []  # brought in already
    uow.changed(
        "create", "plan", referral_id=plan.referral_id, local_authority=plan.local_authority
    )
    for taken, document in steps:
        await repository.save(
            uow.conn, taken.plan, document, changed_by="plans", reason=taken.reason,
            checks=check(document),
        )  # fmt: skip
    return []


@subscriptions.on(EhcAssessmentRequested)
async def escalated_to_ehc(message: Envelope[EhcAssessmentRequested], uow: Uow) -> Events:
    """A support request escalated to EHC: the plan goes on the EHC track (a new version) and
    stays the child's support plan until the council decides to issue an EHC plan."""
    event = message.data
    if not event.escalated:
        return []  # an EHC request from the start is on the track already
    plan, document = await _plan(uow, event.referral_id)
    taken = plan.escalated(event.final_plan_due)
    if taken is None:
        return []
    await changes.store(uow.conn, taken, document, changed_by="plans")
    return taken.events


@subscriptions.on(AdviceReceived)
async def advice_received(message: Envelope[AdviceReceived], uow: Uow) -> Events:
    """Section K lists the advice received (a new version), with the adviser's document and
    summary when they returned it through their link."""
    received = message.data
    found = await _plan_here(uow, received)
    if found is None:
        return []
    plan, document = found
    listed = with_advice(
        document,
        received.kind,
        received.received_on,
        document_id=received.document_id,
        summary=received.summary.model_dump() if received.summary else None,
    )
    if listed is None:
        return []
    taken = plan.advice_listed()
    await changes.store(uow.conn, taken, listed, changed_by="plans")
    return taken.events


@subscriptions.on(PlanIssueDecided)
async def plan_issue_decided(message: Envelope[PlanIssueDecided], uow: Uow) -> Events:
    """The council decided to issue an EHC plan: it is drafted from the advice received (the
    catalogue's lines as suggestions to confirm), and only then can it be issued."""
    decided = message.data
    if decided.decision != "issue":
        return []
    found = await _plan_here(uow, decided)
    if found is None:
        return []
    plan, document = found
    taken = plan.ehc_plan_drafted()
    if taken is None:  # drafted already (a redelivery), or a plan not on the EHC track
        await repository.set_dates(uow.conn, decided.referral_id, issue_decided=True)
        return []
    expected_issue = plan.final_plan_due or decided.decided_on
    await changes.store(
        uow.conn, taken, drafted_from_advice(document, expected_issue), changed_by="plans"
    )
    return taken.events


@subscriptions.on(StatutoryExceptionRecorded)
async def deadlines_moved(message: Envelope[StatutoryExceptionRecorded], uow: Uow) -> Events:
    """An exception moved the statutory date the final plan is due by."""
    due = message.data.deadlines.get("final_plan")
    if due is not None:
        await repository.set_dates(uow.conn, message.data.referral_id, final_plan_due=due)
    return []


@subscriptions.on(AmendmentsProposed)
async def amendments_proposed(message: Envelope[AmendmentsProposed], uow: Uow) -> Events:
    """After a review decided to amend: the proposed amended plan, a new version the caseworker
    edits and the family comments on until the day referrals set. No events: referrals'
    event tells the family (notifications)."""
    plan, document = await _plan(uow, message.data.referral_id)
    return await _amended(uow, amendments.proposed(plan, document, message.data))


@subscriptions.on(AmendedPlanIssued)
async def amended_plan_issued(message: Envelope[AmendedPlanIssued], uow: Uow) -> Events:
    """The amended plan issued: the plan in force, a new final version. No events: referrals'
    event tells the family (notifications)."""
    plan, document = await _plan(uow, message.data.referral_id)
    return await _amended(uow, amendments.issued(plan, document, message.data))


async def _amended(uow: Uow, taken: StepTaken | None) -> Events:
    """Store an amendment's step (audited as an update), its checks kept with it."""
    if taken is None:
        return []  # taken already: a redelivery or a replay
    assert taken.document is not None
    await repository.save(
        uow.conn, taken.plan, taken.document, changed_by="plans", reason=taken.reason,
        checks=check(taken.document),
    )  # fmt: skip
    uow.changed(
        "update", "plan", referral_id=taken.plan.referral_id,
        local_authority=taken.plan.local_authority,
    )  # fmt: skip
    return []
