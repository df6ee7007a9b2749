"""Settings of the specialists service (environment variables)."""

from pydantic import AliasChoices, Field

from shared.settings import LOCAL_POSTGRES, ServiceSettings


class SpecialistsSettings(ServiceSettings):
    service_name: str = "specialists"
    database_url: str = Field(
        default=f"{LOCAL_POSTGRES}/specialists",
        validation_alias=AliasChoices("SPECIALISTS_DATABASE_URL", "DATABASE_URL"),
    )
    http_port: int = Field(default=8003, validation_alias=AliasChoices("SPECIALISTS_HTTP_PORT"))
