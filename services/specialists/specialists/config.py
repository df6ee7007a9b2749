"""Settings of the specialists service (environment variables)."""

from pydantic import Field

from shared.settings import LOCAL_POSTGRES, ServiceSettings


class SpecialistsSettings(ServiceSettings):
    service_name: str = "specialists"
    database_url: str = Field(
        default=f"{LOCAL_POSTGRES}/specialists",
        validation_alias="SPECIALISTS_DATABASE_URL",
    )
