"""The plans service's own part of its state (``shared.state``): what its routes reach through
``state_of``, from the settings ``create_app`` was given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from plans.config import CouncilContact, PlansSettings
from plans.printing import Printing
from shared.state import own_part, service_of


@dataclass(frozen=True)
class Plans:
    """What plans' routes read beside the shared state."""

    council_contacts: dict[str, CouncilContact]
    """Each council's name and contact, on the family's page and the plan's PDF."""
    printing: Printing
    """The PDF renders' turns and rate limits."""

    @classmethod
    def of(cls, settings: PlansSettings) -> Plans:
        return cls(
            council_contacts=settings.council_contacts,
            printing=Printing(
                at_once=settings.pdf_renders_at_once,
                wait_s=settings.pdf_render_wait_s,
                per_plan=settings.rate_limit_pdf,
                storage=settings.rate_limit_storage,
                namespace=settings.service_name,
            ),
        )


def plans_of(service: object) -> Plans:
    """``service`` (``uow.service``, ``ServiceState.own``) as plans' own state."""
    return own_part(service, Plans)


def state_of(request: Request) -> Plans:
    """Plans' own state, for a route (``State``)."""
    return plans_of(service_of(request).own)


State = Annotated[Plans, Depends(state_of)]
