"""Settings of the notifications service (environment variables)."""

from typing import ClassVar

from pydantic import Field

from shared.services import SERVICES, Service
from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    service: ClassVar[Service] = SERVICES["notifications"]
    family_view_url: str = Field(
        default=f"http://127.0.0.1:{SERVICES['referrals'].port}/v1/family/{{token}}",
        description="FAMILY_VIEW_URL: the family's link in each message; {token} is the signed "
        "link token. A council points it at its public family page.",
    )
    sending_lease_s: float = Field(
        default=60,
        gt=0,
        description="An alert claimed for sending and not recorded as sent within this long is "
        "claimed again (its channel is asked first whether it already went)",
    )
