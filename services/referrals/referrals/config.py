"""Settings of the referrals service (environment variables)."""

from typing import ClassVar

from shared.services import SERVICES, Service
from shared.settings import ServiceSettings


class ReferralsSettings(ServiceSettings):
    service: ClassVar[Service] = SERVICES["referrals"]
