"""Settings of the workspace (environment variables): where the services' APIs are, how people
sign in, and how their sessions are kept."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field, SecretStr, field_validator

from shared.environment import MIN_KEY_BYTES, is_https
from shared.services import SERVICES, Service
from shared.settings import ServiceSettings

DEVELOPMENT_SESSION_KEY = "development-only-workspace-session-key-change-me"
DEVELOPMENT_CLIENT_SECRET = "dev-secret"  # noqa: S105  # the development provider's: refused outside development


def _local(service: str) -> str:
    return f"http://127.0.0.1:{SERVICES[service].port}"


class CouncilContact(BaseModel):
    """How a family reaches a council's SEND team, as the family's pages say it."""

    name: str = Field(examples=["Leeds City Council"])
    phone: str | None = Field(default=None, examples=["0113 378 5000"])
    email: str | None = Field(default=None, examples=["send@leeds.gov.uk"])


class WebSettings(ServiceSettings):
    """The workspace's configuration. Its own database holds sessions only (encrypted)."""

    service: ClassVar[Service] = SERVICES["web"]
    # The workspace checks no family link (the referrals service does) and serves no API docs.
    development_defaults: ClassVar[frozenset[str]] = (
        ServiceSettings.development_defaults - {"family_link_key", "public_docs"}
    ) | {
        "referrals_url",
        "plans_url",
        "specialists_url",
        "notifications_url",
        "public_url",
        "oidc_client_id",
        "oidc_client_secret",
        "session_keys",
        "council_contacts",
    }

    family_path_prefix: str = Field(
        default="/family",
        pattern=r"^/\S*[^/]$",
        description="FAMILY_PATH_PREFIX: the family's pages, reached by the link in their "
        "messages: limited per client address (RATE_LIMIT_FAMILY), never recorded in traces "
        "or access lines",
    )
    referrals_url: str = Field(default=_local("referrals"), description="REFERRALS_URL")
    plans_url: str = Field(default=_local("plans"), description="PLANS_URL")
    specialists_url: str = Field(default=_local("specialists"), description="SPECIALISTS_URL")
    notifications_url: str = Field(default=_local("notifications"), description="NOTIFICATIONS_URL")
    api_timeout_s: float = Field(
        default=10.0, gt=0, description="API_TIMEOUT_S: how long a page waits for a service"
    )

    public_url: str = Field(
        default=f"http://127.0.0.1:{SERVICES['web'].port}",
        description="PUBLIC_URL: the workspace's address as people's browsers reach it (the "
        "sign-in's redirect address is made from it); https outside this machine",
    )
    oidc_client_id: str = Field(
        default="send-workspace",
        description="OIDC_CLIENT_ID: the workspace's client id at the council's identity provider",
    )
    oidc_client_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_CLIENT_SECRET),
        description="OIDC_CLIENT_SECRET: its client secret (the development provider's default)",
    )
    oidc_scope: str = Field(default="openid", description="OIDC_SCOPE: scopes asked for")

    session_keys: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SESSION_KEY),
        description="SESSION_KEYS: encrypts the sessions kept in the workspace's database; "
        "comma-separated, the first encrypts and every one decrypts (to rotate: put the new "
        "key first, drop the old after SESSION_ABSOLUTE_HOURS); 32+ random bytes each",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="SESSION_IDLE_MINUTES: idle timeout"
    )
    session_absolute_hours: int = Field(
        default=8, ge=1, le=24, description="SESSION_ABSOLUTE_HOURS: absolute timeout"
    )
    saved_form_minutes: int = Field(
        default=60,
        ge=1,
        le=24 * 60,
        description="SAVED_FORM_MINUTES: how long a form's answers are kept when a session "
        "ends mid-form, for after signing in again",
    )
    council_contacts: dict[str, CouncilContact] = Field(
        default={
            "E08000035": CouncilContact(name="Leeds City Council"),
            "E08000032": CouncilContact(name="City of Bradford Metropolitan District Council"),
        },
        description="COUNCIL_CONTACTS (JSON): each council's name and its SEND team's phone "
        "and email, by ONS code, for the family's pages",
    )
    page_size: int = Field(
        default=25,
        ge=5,
        le=200,
        validation_alias="CASELOAD_PAGE_SIZE",
        description="CASELOAD_PAGE_SIZE: referrals (and audit entries) on one page",
    )

    def unsafe_settings(self) -> list[str]:
        problems = super().unsafe_settings()
        if "public_url" in self.model_fields_set and not is_https(self.public_url):
            problems.append("PUBLIC_URL is not an https:// URL")
        if self.oidc_client_secret.get_secret_value() == DEVELOPMENT_CLIENT_SECRET:
            problems.append("OIDC_CLIENT_SECRET is the development provider's")
        keys = [k.strip() for k in self.session_keys.get_secret_value().split(",")]
        if DEVELOPMENT_SESSION_KEY in keys:
            problems.append("SESSION_KEYS holds the development key published in the repository")
        if any(len(k.encode()) < MIN_KEY_BYTES for k in keys if k):
            problems.append(f"SESSION_KEYS holds a key shorter than {MIN_KEY_BYTES} bytes")
        return problems

    @field_validator("referrals_url", "plans_url", "specialists_url", "notifications_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        """Cookies are ``Secure`` unless the workspace is on this machine over plain http."""
        return not self.public_url.startswith(("http://127.0.0.1", "http://localhost"))

    @property
    def api_urls(self) -> dict[str, str]:
        return {
            "referrals": self.referrals_url,
            "plans": self.plans_url,
            "specialists": self.specialists_url,
            "notifications": self.notifications_url,
        }
