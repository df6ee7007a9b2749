"""Settings of the specialists service (environment variables)."""

from typing import ClassVar

from shared.services import SERVICES, Service
from shared.settings import ServiceSettings


class SpecialistsSettings(ServiceSettings):
    service: ClassVar[Service] = SERVICES["specialists"]
