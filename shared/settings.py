"""Settings read from the environment (12-factor), with pydantic-settings.

Each service declares one settings class deriving from ``ServiceSettings`` and names its entry
in the service registry (``shared.services``), which says where its database URL comes from
(``REFERRALS_DATABASE_URL`` ...).

(Longer than most modules: mostly one field per environment variable, each with its
description: the list is the configuration's reference.)
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any, ClassVar, Literal, Self

import limits
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.environment import (
    DEVELOPMENT,
    DEVELOPMENT_FAMILY_LINK_KEY,
    Environment,
    UnsafeOutsideDevelopment,
    family_link_key_problem,
    has_published_password,
    is_https,
)
from shared.events import PARTNER_ID, PartnerEvent
from shared.services import Service

LOCAL_KAFKA = "127.0.0.1:9092"

PARTNER_INBOUND_TOPIC = "nhs.referrals.inbound.v1"
"""Where NHS partners publish referrals by default (FHIR in CloudEvents: not the platform's
envelope, so not an event class; referrals reads it with a consumer of its own,
``referrals.partners``)."""

_TOPIC_NAME = r"^[A-Za-z0-9._-]{1,200}$"


ProcessPart = Literal["consumers", "relay", "workers"]
"""A part of a service a process may run besides its HTTP routes (``PROCESS_PARTS``)."""
PROCESS_PARTS: tuple[ProcessPart, ...] = ("consumers", "relay", "workers")


class KafkaSettings(BaseSettings):
    """Where Kafka is and how topics are laid out."""

    # A setting refused at start-up is named, never echoed: the input may hold a password,
    # a key or a database URL, and the error goes to the log.
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

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
    # How to connect: plaintext locally; TLS and/or SASL SCRAM against a secured cluster
    # (Strimzi's KafkaUser secrets give the password, or the client certificate and key).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        default="SCRAM-SHA-512", description="KAFKA_SASL_MECHANISM (SASL_* protocols)"
    )
    kafka_sasl_username: str = Field(default="", description="KAFKA_SASL_USERNAME")
    kafka_sasl_password: SecretStr = Field(default=SecretStr(""), description="KAFKA_SASL_PASSWORD")
    kafka_ssl_cafile: str | None = Field(
        default=None,
        description="KAFKA_SSL_CAFILE: PEM of the CA the brokers' certificates "
        "chain to (Strimzi: <cluster>-cluster-ca-cert's ca.crt); unset: the system's CAs",
    )
    kafka_ssl_certfile: str | None = Field(
        default=None,
        description="KAFKA_SSL_CERTFILE: client certificate for TLS client "
        "authentication (Strimzi: the KafkaUser secret's user.crt)",
    )
    kafka_ssl_keyfile: str | None = Field(
        default=None, description="KAFKA_SSL_KEYFILE: its key (user.key)"
    )
    # The NHS partners are here, not with the other services' settings, because each has
    # topics of its own: `python -m shared.topics` makes them from this.
    partner_councils: dict[str, list[str]] = Field(
        default={
            "leeds-community-paediatrics": ["E08000035"],
            "west-yorkshire-slt": ["E08000035", "E08000032"],
        },
        description="PARTNER_COUNCILS (JSON): each partner client id and the councils it may "
        "refer to; the defaults are the development provider's partners",
    )
    partner_inbound_topic: str = Field(
        default=PARTNER_INBOUND_TOPIC,
        pattern=_TOPIC_NAME,
        description="PARTNER_INBOUND_TOPIC: the NHS partners' shared inbound topic (FHIR in "
        "CloudEvents; the partner is who the event's `source` says: for local use or a single "
        "partner); each partner's answers go to its own topic, "
        "nhs.referrals.outcome.<partner>.v1",
    )
    partner_topics: dict[str, str] = Field(
        default={},
        description="PARTNER_TOPICS (JSON): a partner client id and an inbound topic of its "
        'own, e.g. {"leeds-community-paediatrics": '
        '"nhs.referrals.inbound.leeds-community-paediatrics.v1"}; only that partner\'s Kafka '
        "user may write it (the chart's strimzi.partners[].inboundTopic), so a message on it "
        "is that partner's whatever its `source` says, and one claiming another is refused",
    )

    @field_validator("partner_councils")
    @classmethod
    def _partner_ids(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for partner in value:
            if not re.fullmatch(PARTNER_ID, partner):
                raise ValueError(
                    f"{partner!r}: a partner's client id names its topics: 1 to 100 letters, "
                    "digits, '-' or '_'"
                )
        return value

    @field_validator("partner_topics")
    @classmethod
    def _partner_topics(cls, value: dict[str, str]) -> dict[str, str]:
        for partner, topic in value.items():
            if not re.fullmatch(_TOPIC_NAME, topic):
                raise ValueError(f"{partner}: {topic!r} is not a Kafka topic name")
        if len(set(value.values())) < len(value):
            raise ValueError("each partner's topic must be its own: two partners share one")
        return value

    @model_validator(mode="after")
    def _partner_topics_not_shared(self) -> KafkaSettings:
        if self.partner_inbound_topic in self.partner_topics.values():
            raise ValueError(
                "a partner's own topic cannot be the shared PARTNER_INBOUND_TOPIC: on it, "
                "any partner's messages are read as who their `source` says"
            )
        return self

    def partner_inbound_topics(self) -> list[str]:
        """The topics NHS partners publish to: the shared one, then each partner's own."""
        return [self.partner_inbound_topic, *sorted(self.partner_topics.values())]

    def partner_event_topics(self, events: Iterable[type[PartnerEvent]]) -> list[str]:
        """Each partner's own topic of each of ``events`` (its answers), partners in order."""
        return [e.topic_of(p) for p in sorted(self.partner_councils) for e in events]

    def kafka_security(self) -> BaseSecurity | None:
        """The FastStream security object of these settings (None: plaintext)."""
        protocol = self.kafka_security_protocol
        if protocol == "PLAINTEXT":
            return None
        context: ssl.SSLContext | None = None
        if protocol.endswith("SSL"):
            context = ssl.create_default_context(cafile=self.kafka_ssl_cafile)
            if self.kafka_ssl_certfile:
                context.load_cert_chain(self.kafka_ssl_certfile, self.kafka_ssl_keyfile)
        if not protocol.startswith("SASL"):
            return BaseSecurity(ssl_context=context, use_ssl=True)
        kind = {
            "SCRAM-SHA-512": SASLScram512,
            "SCRAM-SHA-256": SASLScram256,
            "PLAIN": SASLPlaintext,
        }[self.kafka_sasl_mechanism]
        return kind(
            self.kafka_sasl_username,
            self.kafka_sasl_password.get_secret_value(),
            ssl_context=context,
            use_ssl=context is not None,
        )

    def kafka_client_options(self) -> dict[str, Any]:
        """The same as keyword arguments of aiokafka's clients (admin, consumer, producer)."""
        return {
            "bootstrap_servers": self.kafka_bootstrap_servers,
            **parse_security(self.kafka_security()),
        }


class ServiceSettings(KafkaSettings):
    """What every service needs. Subclasses set ``service`` (their registry entry), and add
    to ``development_defaults`` and ``unsafe_settings`` what of theirs must not reach
    production (``shared.environment``)."""

    service: ClassVar[Service]

    development_defaults: ClassVar[frozenset[str]] = frozenset(
        {"oidc_issuer", "oidc_audience", "partner_councils", "family_link_key", "public_docs"}
    )
    """The settings whose default is for a developer's machine: outside development each must
    be set."""

    send_environment: Environment = Field(
        default="production",
        validation_alias="SEND_ENVIRONMENT",
        description="SEND_ENVIRONMENT: `development` lets the service start with the defaults "
        "made for a developer's machine (`make run`, the tests and the bench set it; the image "
        "and the chart never do); `production`, the default, refuses to start with any of "
        "them, naming each (shared/environment.py)",
    )

    database_url: str = Field(
        default="",
        description="The service's own database; from <SERVICE>_DATABASE_URL, else the local "
        "server (SEND_PG_PORT, or SEND_PG_DURABLE_PORT when SEND_PG_CLUSTER=durable)",
    )

    db_pool_max_size: int = Field(
        default=10,
        ge=1,
        description="DB_POOL_MAX_SIZE: the HTTP routes' connections (opened on first use, up "
        "to this many); the consumers, the outbox relay and the scheduled jobs have a pool of "
        "their own (CONSUMER_DB_POOL_MAX_SIZE), so neither starves the other",
    )
    consumer_db_pool_max_size: int = Field(
        default=10,
        ge=1,
        description="CONSUMER_DB_POOL_MAX_SIZE: the pipeline's connections (opened on first "
        "use, up to this many): every subscription's batches, the service's own consumers "
        "(NHS partners' referrals), the outbox relay's reads and writes, the scheduled jobs "
        "and the readiness check; a flood of requests holding every HTTP connection never "
        "holds up an event. Each subscription holds one only for its batch's transaction, "
        "and CPU, not connections, bounds a drain: 10 is what the drains were measured with "
        "(docs/configuration.md gives the sum per pod). The workspace has no consumers",
    )

    process_parts: Annotated[frozenset[ProcessPart], NoDecode] = Field(
        default=frozenset(PROCESS_PARTS),
        description="PROCESS_PARTS: comma-separated parts of the service this process runs "
        "besides its HTTP routes: `consumers` (its subscriptions and own consumers), `relay` "
        "(the outbox relay) and `workers` (its scheduled jobs; notifications' sender). All "
        "three by default: one process is the whole service. Split, a service runs as more "
        "than one deployment, each with its own cores and event loop (the chart's "
        "`processes`, docs/kubernetes.md): e.g. notifications' sender apart from its consumers "
        "and receipts, or referrals' intake apart from its pipeline (#25). Every part must "
        "run somewhere; the relay and the workers are safe in more than one process",
    )

    @field_validator("process_parts", mode="before")
    @classmethod
    def _process_parts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    outbox_poll_interval_s: float = Field(
        default=1.0, gt=0, description="Relay polls this often even without a NOTIFY"
    )
    outbox_batch_size: int = Field(default=200, ge=1)
    outbox_gather_ms: float = Field(
        default=50,
        ge=0,
        le=1000,
        description="OUTBOX_GATHER_MS: while commits keep coming, the relay publishes at most "
        "once this often: woken sooner after its last publish, it waits until then, so that "
        "several transactions' rows go in one read, one publish and one update; woken after a "
        "quiet spell it publishes at once. 0: at every wake-up",
    )
    outbox_retention_hours: float = Field(
        default=168, gt=0, description="Published outbox rows are deleted after this long"
    )

    consumer_max_attempts: int = Field(
        default=4,
        ge=1,
        description="Tries of a failing event before it goes to the dead-letter topic",
    )
    consumer_retry_backoff_s: float = Field(default=0.2, ge=0)
    trace_sql: bool = Field(
        default=False,
        description="TRACE_SQL: a span for every SQL statement (asyncpg), to find a slow "
        "statement. Off by default: it cost about a quarter of the services' CPU a referral "
        "(docs/benchmark.md), and the journey's trace is whole without it (each request's, "
        "each event's handling and each publish's span, which hold their statements' time)",
    )
    consumer_batch_size: int = Field(
        default=200,
        ge=1,
        description="CONSUMER_BATCH_SIZE: most events handled in one transaction and one "
        "offset commit",
    )
    consumer_gather_ms: float = Field(
        default=100,
        ge=0,
        le=1000,
        description="CONSUMER_GATHER_MS: while events keep coming, each subscription takes at "
        "most one batch this often: a batch taken sooner after the one before waits for more "
        "events until then (or until CONSUMER_BATCH_SIZE); the first after a quiet spell is "
        "taken at once. Under load a batch's fixed cost is shared by more events, for at most "
        "this much more latency a hop (docs/configuration.md gives the measures); 0: only "
        "events already waiting are batched",
    )

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

    oidc_issuer: str = Field(
        default="http://127.0.0.1:8009",
        description="OIDC_ISSUER: the council's identity provider (its `iss`); the local default "
        "is the development provider `make run` starts",
    )
    oidc_audience: str = Field(default="send-platform", description="OIDC_AUDIENCE: tokens' `aud`")
    oidc_jwks_url: str | None = Field(
        default=None, description="OIDC_JWKS_URL; unset: from the issuer's discovery document"
    )
    oidc_roles_claim: str = Field(default="roles", description="OIDC_ROLES_CLAIM")
    oidc_councils_claim: str = Field(
        default="local_authorities",
        description="OIDC_COUNCILS_CLAIM: the claim holding the ONS codes a user acts for",
    )
    oidc_school_urns_claim: str = Field(
        default="school_urns",
        description="OIDC_SCHOOL_URNS_CLAIM: a SENCo's school URNs (role school)",
    )
    oidc_registry_entry_claim: str = Field(
        default="registry_entry",
        description="OIDC_REGISTRY_ENTRY_CLAIM: a practitioner's specialists registry entry "
        "(role specialist)",
    )
    family_link_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_FAMILY_LINK_KEY),
        description="FAMILY_LINK_KEY: signs the links sent to families (referrals checks them, "
        "notifications makes them); at least 32 random bytes in production",
    )
    family_link_days: int = Field(default=90, ge=1, description="FAMILY_LINK_DAYS: link lifetime")
    public_docs: bool = Field(
        default=True, description="PUBLIC_DOCS: serve /docs, /openapi.json and /asyncapi"
    )

    http_in_flight: int = Field(
        default=100,
        ge=1,
        description="HTTP_IN_FLIGHT: requests one process serves at once; any other is "
        "answered 503 with Retry-After at once, before a span, its body or the database "
        "(shared/in_flight.py). Health probes and /metrics are never counted nor refused",
    )
    max_request_bytes: int = Field(
        default=64 * 1024,
        ge=1,
        description="A request body larger than this is refused with 413 (MAX_REQUEST_BYTES)",
    )
    max_upload_bytes: int = Field(
        default=21 * 1024 * 1024,
        ge=1,
        description="MAX_UPLOAD_BYTES: the body cap of the routes that take a document (one "
        "file of 20 MB at most, and its form): larger is refused with 413",
    )
    hsts_seconds: int = Field(
        default=0,
        ge=0,
        description="Strict-Transport-Security max-age; 0 sends none, for TLS usually ends at "
        "the ingress, which should send it (HSTS_SECONDS)",
    )
    rate_limit_post: str = Field(
        default="60/minute",
        description="Per client, on every POST, PUT, PATCH and DELETE (RATE_LIMIT_POST); "
        "`limits` notation, several separated by ';' (e.g. '10/second;60/minute')",
    )
    rate_limit_family: str = Field(
        default="30/minute",
        description="Per client, on every request under FAMILY_PATH_PREFIX (RATE_LIMIT_FAMILY)",
    )
    rate_limit_public: str = Field(
        default="20/hour;100/day",
        description="Per client address, on every POST under /v1/public (RATE_LIMIT_PUBLIC): "
        "requests made on the public form with no account, besides RATE_LIMIT_POST. A "
        "household or a school office shares an address: room for several children a day",
    )
    family_path_prefix: str = Field(
        default="/v1/family",
        pattern=r"^/\S*[^/]$",
        description="Path prefix of the family-link routes (FAMILY_PATH_PREFIX)",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit counters live, a `limits` storage URI (RATE_LIMIT_STORAGE):"
        " memory:// is per process; redis://host:6379 is shared by every replica",
    )
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses or networks of proxies whose X-Forwarded-For is "
        "believed when rate limiting (TRUSTED_PROXIES); empty: the peer address is the client",
    )

    @field_validator("rate_limit_post", "rate_limit_family", "rate_limit_public")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            limits.parse_many(value)
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a rate limit: write e.g. '60/minute' or '10/second;60/minute'"
            ) from exc
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _trusted_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [
                ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()
            ]
        return value

    @model_validator(mode="before")
    @classmethod
    def _database_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("database_url"):
            data = {**data, "database_url": cls.service.database_url()}
        return data

    @model_validator(mode="after")
    def _safe_outside_development(self) -> Self:
        if self.send_environment != DEVELOPMENT:
            problems = self.unsafe_settings()
            if problems:
                raise UnsafeOutsideDevelopment(problems)
        return self

    def unsafe_settings(self) -> list[str]:
        """Each setting this service must not start with outside development, and why
        (subclasses add their own to this list)."""
        problems = [
            f"{self.variable(name)} is left at its development default"
            for name in sorted(self.development_defaults - self.model_fields_set)
        ]
        if "family_link_key" in self.development_defaults:
            problem = family_link_key_problem(self.family_link_key.get_secret_value())
            if problem and "family_link_key" in self.model_fields_set:
                problems.append(problem)
        if "oidc_issuer" in self.model_fields_set and not is_https(self.oidc_issuer):
            problems.append("OIDC_ISSUER is not an https:// URL")
        if self.oidc_jwks_url is not None and not is_https(self.oidc_jwks_url):
            problems.append("OIDC_JWKS_URL is not an https:// URL")
        if has_published_password(self.database_url):
            problems.append(
                f"{self.service.database_url_variable} logs in with a local role's published "
                "password (or is unset: the local database)"
            )
        return problems

    @classmethod
    def variable(cls, name: str) -> str:
        """The environment variable of the field ``name``."""
        if name == "database_url":
            return cls.service.database_url_variable
        alias = cls.model_fields[name].validation_alias
        return alias if isinstance(alias, str) else name.upper()

    @property
    def service_name(self) -> str:
        return self.service.name

    @property
    def event_source(self) -> str:
        """CloudEvents ``source`` for events this service publishes."""
        return f"/send-platform/{self.service_name}"
