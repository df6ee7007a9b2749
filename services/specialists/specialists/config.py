"""Settings of the specialists service (environment variables)."""

from typing import ClassVar

from pydantic import Field

from shared.services import SERVICES, Service
from shared.settings import ServiceSettings


class SpecialistsSettings(ServiceSettings):
    service: ClassVar[Service] = SERVICES["specialists"]
    # Specialists neither makes nor checks family links: it is given no FAMILY_LINK_KEY.
    development_defaults: ClassVar[frozenset[str]] = ServiceSettings.development_defaults - {
        "family_link_key"
    }

    waitlist_interval_s: float = Field(
        default=60.0,
        gt=0,
        description="How often the whole waitlist is offered any free places (WAITLIST_INTERVAL_S)"
        "; ended allocations and added capacity offer theirs at once",
    )
