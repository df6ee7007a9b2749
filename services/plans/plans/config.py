"""Settings of the plans service (environment variables)."""

from pydantic import Field

from shared.settings import LOCAL_POSTGRES, ServiceSettings


class PlansSettings(ServiceSettings):
    service_name: str = "plans"
    database_url: str = Field(
        default=f"{LOCAL_POSTGRES}/plans",
        validation_alias="PLANS_DATABASE_URL",
    )
