"""Settings of the referrals service (environment variables)."""

from pydantic import Field

from shared.settings import LOCAL_POSTGRES, ServiceSettings


class ReferralsSettings(ServiceSettings):
    service_name: str = "referrals"
    database_url: str = Field(
        default=f"{LOCAL_POSTGRES}/referrals",
        validation_alias="REFERRALS_DATABASE_URL",
    )
