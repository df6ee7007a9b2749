"""Settings read from the environment (12-factor), with pydantic-settings.

Each service declares one settings class deriving from ``ServiceSettings`` and names its entry
in the service registry (``shared.services``), which says where its database URL comes from
(``REFERRALS_DATABASE_URL`` ...).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.services import Service

LOCAL_KAFKA = "127.0.0.1:9092"


class KafkaSettings(BaseSettings):
    """Where Kafka is and how topics are laid out."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        default=LOCAL_KAFKA, description="Comma-separated host:port list (KAFKA_BOOTSTRAP_SERVERS)"
    )
    kafka_topic_partitions: int = Field(
        default=6, ge=1, description="Partitions per topic: the most consumers of one group"
    )
    kafka_replication_factor: int = Field(default=1, ge=1)
    namespace: str = Field(
        default="",
        validation_alias="SEND_NAMESPACE",
        pattern=r"^([a-z0-9][a-z0-9_-]*\.)?$",
        description="Prefix of every topic and consumer group of this run (SEND_NAMESPACE), "
        "e.g. 'test-1a2b.': runs sharing a Kafka never consume each other's events",
    )


class ServiceSettings(KafkaSettings):
    """What every service needs. Subclasses set ``service`` (their registry entry)."""

    service: ClassVar[Service]

    database_url: str = Field(
        default="",
        description="The service's own database; from <SERVICE>_DATABASE_URL, else the local "
        "server (SEND_PG_PORT)",
    )

    db_pool_max_size: int = Field(
        default=10, ge=1, description="Connections are opened on first use, up to this many"
    )

    outbox_poll_interval_s: float = Field(
        default=1.0, gt=0, description="Relay polls this often even without a NOTIFY"
    )
    outbox_batch_size: int = Field(default=200, ge=1)
    outbox_retention_hours: float = Field(
        default=168, gt=0, description="Published outbox rows are deleted after this long"
    )

    consumer_max_attempts: int = Field(
        default=4,
        ge=1,
        description="Tries of a failing event before it goes to the dead-letter topic",
    )
    consumer_retry_backoff_s: float = Field(default=0.2, ge=0)

    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="LOG_FORMAT: one JSON object per line (for a log store), or text for a "
        "developer's terminal",
    )
    log_repeat_interval_s: float = Field(
        default=30.0,
        gt=0,
        description="LOG_REPEAT_INTERVAL_S: a Kafka client warning or error that repeats is "
        "written at most once per this many seconds, with the count of those held back",
    )
    metrics_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="METRICS_INTERVAL_S: how often consumer lag and the outbox backlog are "
        "measured for /metrics",
    )
    # Tracing is configured by the standard OTEL_* variables, read by OpenTelemetry itself
    # (shared.telemetry.tracer_provider), not here.

    @model_validator(mode="before")
    @classmethod
    def _database_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("database_url"):
            data = {**data, "database_url": cls.service.database_url()}
        return data

    @property
    def service_name(self) -> str:
        return self.service.name

    @property
    def event_source(self) -> str:
        """CloudEvents ``source`` for events this service publishes."""
        return f"/send-platform/{self.service_name}"
