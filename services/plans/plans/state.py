"""The plans service's own part of its state (``shared.state``): what its routes reach through
``state_of``, from the settings ``create_app`` was given (``uow.service`` in its handlers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from plans.config import CouncilContact, PlansSettings
from plans.printing import Printing
from shared.state import on_loop, own_state


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


state_of = own_state(Plans)

State = Annotated[Plans, Depends(on_loop(state_of))]
