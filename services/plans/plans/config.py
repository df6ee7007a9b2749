"""Settings of the plans service (environment variables)."""

from typing import ClassVar

from shared.services import SERVICES, Service
from shared.settings import ServiceSettings


class PlansSettings(ServiceSettings):
    service: ClassVar[Service] = SERVICES["plans"]
