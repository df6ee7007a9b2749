"""Settings of the referrals service (environment variables).

(Longer than most modules: one field per environment variable, each with its description, and
the checks that refuse a combination that cannot work.)
"""

from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from referrals.documents.scanning import Scanner
from referrals.intake import DISTRICT_COUNCIL, SEND_COUNCIL, IntakeRules
from referrals.notices.council import ANY_COUNCIL, SAMPLE, CouncilNotices
from referrals.referrer_reasons import SCTID
from referrals.statutory import AdviceKind
from shared.environment import is_https
from shared.events import Sen2Need
from shared.services import SERVICES, Service
from shared.settings import ServiceSettings

DEVELOPMENT_COUNCILS = ["E08000035", "E08000032"]  # Leeds, Bradford: the development identities'


class ReferralsSettings(ServiceSettings):
    service: ClassVar[Service] = SERVICES["referrals"]
    development_defaults: ClassVar[frozenset[str]] = ServiceSettings.development_defaults | {
        "councils",
        "family_plan_url",
        "referral_link",
        "council_notices",
    }
    retention_years_after_birth: int = Field(
        default=31,
        ge=1,
        description="RETENTION_YEARS_AFTER_BIRTH: a child's personal details are erased this "
        "many years after their date of birth (council policy), unless their council has "
        "its own period in RETENTION_YEARS_BY_COUNCIL",
    )
    retention_years_by_council: dict[str, int] = Field(
        default_factory=dict,
        description="RETENTION_YEARS_BY_COUNCIL: JSON, each council's own retention period in "
        'years after birth, by ONS code, e.g. {"E08000035": 31, "E08000032": 25}; a council '
        "not listed has RETENTION_YEARS_AFTER_BIRTH",
    )
    snomed_sen2_suggestions: dict[str, Sen2Need] = Field(
        default_factory=dict,
        description="SNOMED_SEN2_SUGGESTIONS: JSON, SNOMED CT concepts (their identifiers) the "
        "council has checked, each with the SEN2 need it suggests to the caseworker who triages "
        'an NHS partner\'s referral, e.g. {"<concept id>": "ASD"}: a suggestion, never the '
        "decision. Empty by default: SNOMED CT is licensed, and which concepts suggest which "
        "need is the council's clinical and SEND leads' to decide (docs/nhs-partners.md)",
    )
    advice_partners: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="ADVICE_PARTNERS: JSON, by council, the NHS partner (a client id of "
        "PARTNER_COUNCILS) asked for each kind of advice over Kafka, e.g. "
        '{"E08000035": {"medical": "leeds-community-paediatrics"}}: a FHIR Task on its own '
        "topic, answered with a DocumentReference. Others are asked by the link in "
        "notifications' message (its ADVISERS say which it withholds: via nhs_partner)",
    )
    retention_interval_hours: float = Field(
        default=24, gt=0, description="RETENTION_INTERVAL_HOURS: how often retention runs"
    )
    councils: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEVELOPMENT_COUNCILS),
        min_length=1,
        description="COUNCILS: comma-separated ONS codes of the councils this deployment takes "
        "referrals for (councils with SEND duties: E06, E08, E09, E10); the default is the "
        "development councils, Leeds and Bradford",
    )
    accept_test_nhs_numbers: bool = Field(
        default=False,
        description="ACCEPT_TEST_NHS_NUMBERS: accept NHS numbers of the 999 range, which are "
        "never issued (for tests, demos and training; `make run` and the tests turn it on)",
    )
    deadline_at_risk_days: int = Field(
        default=10,
        ge=0,
        le=60,
        description="DEADLINE_AT_RISK_DAYS: a statutory deadline whose step is not taken this "
        "many days before it is reported at risk (council policy)",
    )
    deadline_check_interval_s: float = Field(
        default=300,
        gt=0,
        description="DEADLINE_CHECK_INTERVAL_S: how often the deadline scheduler looks (it "
        "catches up on whatever fell due meanwhile, so this only bounds how late it notices)",
    )
    plan_letters_interval_s: float = Field(
        default=2,
        gt=0,
        description="PLAN_LETTERS_INTERVAL_S: how often the letters of plans issued in the "
        "plans service are printed, after the step that calls for them committed (it catches "
        "up on every letter due, so this only bounds how late a letter is listed)",
    )
    plan_letters_attempts: int = Field(
        default=10,
        ge=1,
        le=100,
        description="PLAN_LETTERS_ATTEMPTS: how many times a plans' letter that could not be "
        "printed or kept is tried (after waits of 30 s, doubling, at most an hour: 10 tries "
        "span about 3 hours) before it is parked for an operator (docs/operating.md)",
    )
    annual_review_open_days: int = Field(
        default=70,
        ge=14,
        le=180,
        description="ANNUAL_REVIEW_OPEN_DAYS: how many days before a plan's review is due the "
        "scheduler opens it for the caseworker (time to arrange the meeting and invite everyone "
        "2 weeks ahead; council policy)",
    )
    phase_transfer_open_days: int = Field(
        default=166,
        ge=60,
        le=300,
        description="PHASE_TRANSFER_OPEN_DAYS: how many days before a phase transfer's deadline "
        "(14 February; 30 March to post-16) the scheduler opens the child's review, so that the "
        "review and the amended plan naming the next setting are done in time (166: from 1 "
        "September, the autumn term before; council policy)",
    )
    idempotency_key_hours: float = Field(
        default=24,
        gt=0,
        description="IDEMPOTENCY_KEY_HOURS: how long a POST's Idempotency-Key answers a retry",
    )

    clamd_address: str | None = Field(
        default=None,
        description="CLAMD_ADDRESS: a ClamAV daemon that scans every upload, tcp://host:3310 "
        "or unix:///run/clamav/clamd.ctl; an infected file is refused, and while it cannot be "
        "reached uploads are refused (503); unset: no scan",
    )
    clamd_timeout_s: float = Field(
        default=30, gt=0, description="CLAMD_TIMEOUT_S: the longest a scan may take"
    )
    document_store: Literal["postgres", "s3"] = Field(
        default="postgres",
        description="DOCUMENT_STORE: where documents' bytes are kept: postgres (the service's "
        "own database, 20 MB a document; needs nothing more, so `make run` uses it) or s3 "
        "(S3-compatible object storage, S3_BUCKET); what is known about each document stays "
        "in PostgreSQL either way",
    )
    s3_bucket: str | None = Field(
        default=None,
        min_length=3,
        max_length=63,
        description="S3_BUCKET: the bucket of documents' bytes (DOCUMENT_STORE=s3; it must "
        "exist: the service never creates it), one object a document, <council>/<document id>",
    )
    s3_region: str = Field(
        default="eu-west-2", min_length=1, description="S3_REGION: the bucket's region"
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="S3_ENDPOINT_URL: another S3-compatible server than AWS's (MinIO, Ceph), "
        "e.g. https://objects.council.example; unset: AWS",
    )
    s3_access_key_id: SecretStr | None = Field(
        default=None,
        description="S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: the bucket's credentials, both or "
        "neither; unset: boto3's own chain (a pod's web identity, the instance's role). Never "
        "logged",
    )
    s3_secret_access_key: SecretStr | None = Field(
        default=None, description="S3_SECRET_ACCESS_KEY: see S3_ACCESS_KEY_ID"
    )
    public_request_messages_per_contact: int = Field(
        default=3,
        ge=1,
        le=50,
        description="PUBLIC_REQUEST_MESSAGES_PER_CONTACT: links to confirm a request made on the "
        "public form sent to one email address or phone in a day; requests over it are kept, "
        "with no link (a caseworker confirms them by phone), so the form cannot flood anyone",
    )

    workspace_networks: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list,
        description="WORKSPACE_NETWORKS: comma-separated networks the workspace calls from (the "
        "chart's workspace.podNetwork): requests made on the public form that reach referrals "
        "from there (the families who went through its pages) have slots of their own, which "
        "a flood sent straight at the API cannot take; empty: one set of slots for all",
    )
    public_intake_slots: int = Field(
        default=4,
        ge=1,
        le=100,
        description="PUBLIC_INTAKE_SLOTS: requests made on the public form a process takes in "
        "at once (referrals.public.admission); others wait (PUBLIC_INTAKE_WAITING)",
    )
    public_intake_waiting: int = Field(
        default=8,
        ge=0,
        le=1000,
        description="PUBLIC_INTAKE_WAITING: requests made on the public form waiting for a "
        "slot, each at most PUBLIC_INTAKE_WAIT_MS; any more are answered 503 at once",
    )
    public_intake_wait_ms: int = Field(
        default=400,
        ge=0,
        le=10_000,
        description="PUBLIC_INTAKE_WAIT_MS: how long a request made on the public form waits "
        "for a slot before it is answered 503 (the workspace sends it again)",
    )
    intake_in_flight: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="INTAKE_IN_FLIGHT: POST /v1/referrals requests a process takes in at once "
        "(referrals.overload; the default: as many as DB_POOL_MAX_SIZE's connections); others "
        "wait (INTAKE_WAITING), then are answered 503. Measured at 50/s: 6 took in half as "
        "many referrals a second as 10 (docs/benchmark.md)",
    )
    intake_waiting: int = Field(
        default=32,
        ge=0,
        le=10_000,
        description="INTAKE_WAITING: POST /v1/referrals requests waiting for a slot, each at "
        "most INTAKE_WAIT_MS; any more are answered 503 with Retry-After at once",
    )
    intake_wait_ms: int = Field(
        default=250,
        ge=0,
        le=10_000,
        description="INTAKE_WAIT_MS: how long a POST /v1/referrals waits for a slot before it "
        "is answered 503 with Retry-After (keeps every answer within a fraction of a second)",
    )
    intake_retry_after_max_s: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="INTAKE_RETRY_AFTER_MAX_S: the longest Retry-After of a POST /v1/referrals "
        "refused for want of a slot; each is told a wait drawn from 1 s to as many seconds as "
        "the last second's pace needs to take in those refused (refused / taken in, at least "
        "1: referrals.pace)",
    )
    intake_backlog_events: int = Field(
        default=6000,
        ge=1,
        description="INTAKE_BACKLOG_EVENTS: events waiting on the platform's consumers (their "
        "lag, the intake topics left out) past which new referrals are answered 503 and NHS "
        "partners' messages wait on Kafka: about ten seconds of the pipeline's work",
    )
    intake_backlog_interval_s: float = Field(
        default=1.0,
        gt=0,
        description="INTAKE_BACKLOG_INTERVAL_S: how often the pipeline's lag is read from Kafka",
    )
    intake_retry_after_s: int = Field(
        default=5,
        ge=1,
        description="INTAKE_RETRY_AFTER_S: the Retry-After of a 503 for a pipeline behind",
    )

    family_plan_url: str = Field(
        default=f"http://127.0.0.1:{SERVICES['web'].port}/family/{{token}}/plan",
        description="FAMILY_PLAN_URL: where the family view links to read the child's plan "
        "(the workspace's plan page; {token} is the family's own link token)",
    )
    council_notices: dict[str, CouncilNotices] = Field(
        default_factory=lambda: {ANY_COUNCIL: SAMPLE},
        description="COUNCIL_NOTICES (JSON): each council's details in its letters to families "
        "by ONS code, '*' for every council not listed: name, send_team, mediation_adviser, "
        "disagreement_resolution, sendiass (each a name with phone, email or website), "
        "local_offer (its address), teams (the mailboxes told of each step: "
        "designated_clinical_officer, social_care, health_commissioning, schools by URN). The "
        "default is a sample marked as such in every letter",
    )
    referral_link: str = Field(
        default=f"http://127.0.0.1:{SERVICES['web'].port}/referrals/{{referral_id}}",
        description="REFERRAL_LINK: the caseworker's link to a referral (the workspace's page), "
        "in the answer to an NHS "
        "partner ({referral_id} is filled in)",
    )

    @field_validator("clamd_address")
    @classmethod
    def _clamd_address(cls, value: str | None) -> str | None:
        if value is not None:
            Scanner(value)  # refuses an address it cannot use, naming it
        return value

    @field_validator("workspace_networks", mode="before")
    @classmethod
    def _workspace_networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [
                ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()
            ]
        return value

    @field_validator("retention_years_by_council")
    @classmethod
    def _retention_by_council(cls, value: dict[str, int]) -> dict[str, int]:
        for code, years in value.items():
            if not SEND_COUNCIL.match(code) or DISTRICT_COUNCIL.match(code):
                raise ValueError(f"{code} is not the ONS code of a council with SEND duties")
            if not 1 <= years <= 125:
                raise ValueError(f"{code}: a retention period of {years} years is not 1 to 125")
        return value

    @field_validator("snomed_sen2_suggestions")
    @classmethod
    def _snomed_concepts(cls, value: dict[str, Sen2Need]) -> dict[str, Sen2Need]:
        for concept in value:
            if not SCTID.match(concept):
                raise ValueError(f"{concept} is not a SNOMED CT identifier (6 to 18 digits)")
        return value

    @field_validator("councils", mode="before")
    @classmethod
    def _councils(cls, value: Any) -> Any:
        codes = value
        if isinstance(value, str):
            codes = [c.strip() for c in value.split(",") if c.strip()]
        for code in codes:
            if DISTRICT_COUNCIL.match(code):
                raise ValueError(f"{code} is a district council (E07): it has no SEND duties")
            if not SEND_COUNCIL.match(code):
                raise ValueError(f"{code} is not the ONS code of a council with SEND duties")
        return codes

    @property
    def intake_rules(self) -> IntakeRules:
        """What this deployment accepts (``COUNCILS``, ``ACCEPT_TEST_NHS_NUMBERS``): the rules
        of ``POST /v1/referrals``, the intake topic and the NHS partners' messages alike."""
        return IntakeRules(
            councils=frozenset(self.councils), accept_test_nhs_numbers=self.accept_test_nhs_numbers
        )

    def unsafe_settings(self) -> list[str]:
        problems = super().unsafe_settings()
        if self.accept_test_nhs_numbers:
            problems.append(
                "ACCEPT_TEST_NHS_NUMBERS is on: NHS numbers of the 999 range are never issued, "
                "so a referral with one is a test's"
            )
        for name in ("family_plan_url", "referral_link"):
            if name in self.model_fields_set and not is_https(getattr(self, name)):
                problems.append(f"{self.variable(name)} is not an https:// URL")
        return problems

    @model_validator(mode="after")
    def _s3_store_configured(self) -> Self:
        if self.document_store == "s3" and not self.s3_bucket:
            raise ValueError("S3_BUCKET: required when DOCUMENT_STORE is s3")
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: give both or neither")
        if self.s3_endpoint_url is not None and not self.s3_endpoint_url.startswith(
            ("http://", "https://")
        ):
            raise ValueError("S3_ENDPOINT_URL: an http:// or https:// address")
        return self

    @model_validator(mode="after")
    def _notices_for_every_council(self) -> Self:
        if ANY_COUNCIL not in self.council_notices:
            missing = sorted(set(self.councils) - set(self.council_notices))
            if missing:
                raise ValueError(
                    f"COUNCIL_NOTICES has no entry for {', '.join(missing)} and no '*': their "
                    "letters to families would have no contact details"
                )
        return self

    @model_validator(mode="after")
    def _advice_partners_known(self) -> Self:
        for council, kinds in self.advice_partners.items():
            for kind, partner in kinds.items():
                if kind not in AdviceKind.__members__.values():
                    raise ValueError(f"ADVICE_PARTNERS: {kind} is not a kind of advice (Reg 6)")
                if council not in self.partner_councils.get(partner, []):
                    raise ValueError(
                        f"ADVICE_PARTNERS: {partner} is not a partner of {council} "
                        "(PARTNER_COUNCILS)"
                    )
        return self

    @model_validator(mode="after")
    def _partner_topics_of_partners(self) -> Self:
        unknown = sorted(set(self.partner_topics) - set(self.partner_councils))
        if unknown:
            raise ValueError(
                f"PARTNER_TOPICS names {', '.join(unknown)}, not in PARTNER_COUNCILS: a topic "
                "of its own is for a partner that may refer to some council"
            )
        return self
