"""Taking in a referral: the one path shared by ``POST /v1/referrals``, the intake topic (bulk
intake, a partner system's batch) and the NHS partners' consumer, so all apply the same rules:
duplicates refused, a child record never merged with other details, the EHC clock started for
the EHC track, the first steps on the timeline. Each runs it in its unit of work, which writes
the events it returns with the audit rows they stand for (the referral created)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from referrals import batch_intake, ehc_repository, repository
from referrals.domain import (
    PROFESSIONALS,
    NewReferral,
    StatutoryStep,
    Step,
    TimelineStep,
    ehc_request_of,
    receive,
)
from referrals.intake import IntakeRules, intake_problems, name_key
from referrals.schemas import Child, ReferralReceipt, ReferralRequest
from shared.db import Connection
from shared.events import ChildIdentified, DomainEvent, HoldReason, Sen2Need


def rule_problems(
    rules: IntakeRules, body: ReferralRequest, today: date
) -> list[tuple[tuple[str, ...], str]]:
    """What breaks the intake rules in a well-formed request: each field's location and why
    (the route, the intake topic's handler and the NHS partners' consumer)."""
    return intake_problems(
        rules,
        local_authority=body.local_authority,
        requested_on=body.received_on or today,
        today=today,
        born=body.child.date_of_birth,
        nhs_number=body.child.nhs_number,
    )


def new_referral(referral_id: UUID, body: ReferralRequest, today: date) -> NewReferral:
    """The referral ``body`` asks for. A health or social care professional's ask for an EHC
    needs assessment is not a request (s36(1)): it brings the child to the council's attention
    (s24), on the support track, marked for a caseworker to decide whether to treat it as one
    (``ehc_api``: ``assessment-suggestion``); no clock runs, and the family is promised none."""
    suggested = body.track == "ehc" and body.requested_by in PROFESSIONALS
    return NewReferral(
        referral_id=referral_id,
        local_authority=body.local_authority,
        received_on=body.received_on or today,
        requested_by=body.requested_by,
        primary_need=body.primary_need,
        postcode=body.child.postcode,
        contact=body.family_contact,
        track="support" if suggested else body.track,
        assessment_suggested=suggested,
        secondary_needs=tuple(body.secondary_needs),
        date_of_birth=body.child.date_of_birth,
        school_urn=body.child.school_urn,
        language=body.language,
        strengths=body.about_the_child.strengths if body.about_the_child else None,
        difficulties=body.about_the_child.difficulties if body.about_the_child else None,
        views=body.about_the_child.views if body.about_the_child else None,
    )


class Refused(Exception):
    """The referral cannot be taken in as it stands (a 409 over HTTP; dead-lettered when it
    came as an event): the child has an open referral here, or other details. ``code`` says
    which, without any of the child's details (for dead-letter reasons and logs)."""

    def __init__(
        self,
        detail: str,
        referral_id: UUID | None = None,
        *,
        code: HoldReason,
        child_id: UUID | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail, self.referral_id, self.code = detail, referral_id, code
        self.child_id = child_id
        """The known child with other details (``child-details-differ``)."""


async def take_in(
    conn: Connection, referral: NewReferral, child: Child, suggested: Sequence[Sen2Need] = ()
) -> tuple[list[DomainEvent], ReferralReceipt]:
    """Store the child and the referral (in the caller's unit of work); returns the events it
    causes (the caller adds them to its unit of work: a handler by returning them) and the
    receipt. ``suggested``: for a partner's referral without a need, the needs the council's
    SNOMED CT table suggests to the caseworker who triages it."""
    steps: list[TimelineStep] = [Step.RECEIVED]
    created_at = batch_intake.stored(conn, referral, child)  # a consumed batch's, together
    if created_at is None:
        created_at = await _store(conn, referral, child)
        steps = []  # the received step is stored with the referral
    request = ehc_request_of(referral)
    events = receive(referral, request, suggested)
    # The child's name and date of birth, for the plan and its PDF (plans alone reads them).
    events.append(
        ChildIdentified(
            referral_id=referral.referral_id, given_name=child.given_name,
            family_name=child.family_name, date_of_birth=child.date_of_birth,
        )
    )  # fmt: skip
    if request is not None:
        await ehc_repository.start(conn, request)
    if request is not None:
        steps.append(StatutoryStep.EHC_REQUESTED)
    for step in steps:
        await repository.add_new_referrals_step(
            conn,
            referral_id=referral.referral_id,
            step=step,
            occurred_at=created_at,
            local_authority=referral.local_authority,
        )
    return events, receipt_of(referral)


async def _store(conn: Connection, referral: NewReferral, child: Child) -> datetime:
    """The child and the referral stored, after the duplicate check, with the referral's
    received step on the timeline; when it was recorded."""
    identity = name_key(child.given_name, child.family_name)
    by_nhs, by_name = repository.child_identities(
        identity, child.date_of_birth, child.postcode, child.nhs_number
    )
    await repository.lock_child(conn, referral.local_authority, by_nhs, by_name)
    existing, known = await repository.duplicate_check(
        conn,
        referral.local_authority,
        nhs_number=child.nhs_number,
        name_key=identity,
        date_of_birth=child.date_of_birth,
        postcode=str(child.postcode),
    )
    if existing is not None:
        raise Refused(
            f"this child already has an open referral here ({existing}): add to it, or "
            "escalate it to ask for an EHC needs assessment",
            existing,
            code="already-referred",
        )
    try:
        created_at = await repository.add_referral(
            conn,
            referral,
            known=known,
            nhs_number=child.nhs_number,
            given_name=child.given_name,
            family_name=child.family_name,
            date_of_birth=child.date_of_birth,
            upn=child.upn,  # for the SEN2 return (referrals.sen2)
        )
    except repository.ChildDetailsDiffer as exc:
        raise Refused(str(exc), code="child-details-differ", child_id=exc.child_id) from exc
    return created_at


def receipt_of(referral: NewReferral) -> ReferralReceipt:
    """The sender's receipt: our reference and the request's own codes, the same whether the
    referral was taken in or held for matching (``referrals.holding``)."""
    return ReferralReceipt(
        id=referral.referral_id,
        status=Step.RECEIVED,
        track=referral.track,
        local_authority=referral.local_authority,
        received_on=referral.received_on,
    )
