"""Settings of the plans service (environment variables)."""

from typing import ClassVar

from pydantic import Field

from shared.services import SERVICES, Service
from shared.settings import ServiceSettings


class PlansSettings(ServiceSettings):
    service: ClassVar[Service] = SERVICES["plans"]

    review_check_interval_s: float = Field(
        default=3600, gt=0, description="How often the review scheduler looks for reviews due"
    )
