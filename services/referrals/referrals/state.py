"""The referrals service's own part of its state (``shared.state``): what its routes reach
through ``state_of``, and its handlers and jobs through their unit of work or state, from the
settings ``create_app`` was given (never the process's environment read again)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends

from referrals.config import ReferralsSettings
from referrals.documents.scanning import Scanner
from referrals.documents.store import PostgresStore
from referrals.documents.stores import StoreOf, store_of
from referrals.intake import IntakeRules
from referrals.notices.council import CouncilNotices
from referrals.public.admission import Lanes, PublicIntake
from shared.state import on_loop, own_part, own_state


@dataclass(frozen=True)
class Referrals:
    """What referrals' routes and handlers read of its settings."""

    intake_rules: IntakeRules
    """What this deployment accepts: ``POST /v1/referrals``, the intake topic, NHS partners."""
    at_risk_days: int
    """The caseload's at-risk filter (``DEADLINE_AT_RISK_DAYS``)."""
    family_plan_url: str
    """Where a family reads their child's plan (``FAMILY_PLAN_URL``, with ``{token}``)."""
    public_request_messages_per_contact: int
    """Links to confirm a public request sent to one contact a day."""
    public_intake: Lanes
    """The public form's bulkhead (``referrals.public.admission``), this process's."""
    council_notices: dict[str, CouncilNotices]
    """Each council's details in its letters (``COUNCIL_NOTICES``)."""
    scanner: Scanner | None = None
    """The malware scan of every document uploaded (``CLAMD_ADDRESS``; None: no scan)."""
    document_store: StoreOf = PostgresStore
    """Where documents' bytes are kept (``DOCUMENT_STORE``), given the pool's holder."""
    advice_partners: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """By council, the NHS partner asked for each kind of advice over Kafka
    (``ADVICE_PARTNERS``)."""

    @classmethod
    def of(cls, settings: ReferralsSettings) -> Referrals:
        slots = (
            settings.public_intake_slots,
            settings.public_intake_waiting,
            settings.public_intake_wait_ms / 1000,
        )
        return cls(
            intake_rules=settings.intake_rules,
            at_risk_days=settings.deadline_at_risk_days,
            family_plan_url=settings.family_plan_url,
            council_notices=settings.council_notices,
            scanner=Scanner(settings.clamd_address, timeout_s=settings.clamd_timeout_s)
            if settings.clamd_address
            else None,
            public_request_messages_per_contact=settings.public_request_messages_per_contact,
            advice_partners=settings.advice_partners,
            document_store=store_of(settings),
            public_intake=Lanes(  # a lane for the workspace's calls, one for the others
                workspace=PublicIntake(*slots),
                others=PublicIntake(*slots),
                workspace_networks=settings.workspace_networks,
            ),
        )


def referrals_of(service: object) -> Referrals:
    """``service`` (``uow.service``, ``ServiceState.own``) as referrals' own state."""
    return own_part(service, Referrals)


state_of = own_state(Referrals)

State = Annotated[Referrals, Depends(on_loop(state_of))]
