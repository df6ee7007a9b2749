"""Settings of the notifications service (environment variables)."""

from pydantic import Field

from shared.settings import LOCAL_POSTGRES, ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    database_url: str = Field(
        default=f"{LOCAL_POSTGRES}/notifications",
        validation_alias="NOTIFICATIONS_DATABASE_URL",
    )
    tracking_url: str = Field(
        default="http://127.0.0.1:8001/v1/referrals/{referral_id}",
        description="Where a family follows a referral; {referral_id} is filled in. "
        "A council sets its own family-facing page.",
    )
