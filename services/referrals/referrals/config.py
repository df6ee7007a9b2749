"""Settings of the referrals service (environment variables)."""

from pydantic import AliasChoices, Field

from shared.settings import LOCAL_POSTGRES, ServiceSettings


class ReferralsSettings(ServiceSettings):
    service_name: str = "referrals"
    database_url: str = Field(
        default=f"{LOCAL_POSTGRES}/referrals",
        validation_alias=AliasChoices("REFERRALS_DATABASE_URL", "DATABASE_URL"),
    )
    http_port: int = Field(default=8001, validation_alias=AliasChoices("REFERRALS_HTTP_PORT"))
