"""Settings of the plans service (environment variables)."""

from pydantic import AliasChoices, Field

from shared.settings import LOCAL_POSTGRES, ServiceSettings


class PlansSettings(ServiceSettings):
    service_name: str = "plans"
    database_url: str = Field(
        default=f"{LOCAL_POSTGRES}/plans",
        validation_alias=AliasChoices("PLANS_DATABASE_URL", "DATABASE_URL"),
    )
    http_port: int = Field(default=8002, validation_alias=AliasChoices("PLANS_HTTP_PORT"))
