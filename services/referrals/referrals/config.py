"""Settings of the referrals service (environment variables)."""

from typing import ClassVar

from pydantic import Field

from shared.services import SERVICES, Service
from shared.settings import ServiceSettings


class ReferralsSettings(ServiceSettings):
    service: ClassVar[Service] = SERVICES["referrals"]
    retention_years_after_birth: int = Field(
        default=31,
        ge=1,
        description="RETENTION_YEARS_AFTER_BIRTH: a child's personal details are erased this "
        "many years after their date of birth (council policy)",
    )
    retention_interval_hours: float = Field(
        default=24, gt=0, description="RETENTION_INTERVAL_HOURS: how often retention runs"
    )
