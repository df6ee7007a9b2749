"""Settings of the plans service (environment variables)."""

from typing import ClassVar

import limits
from pydantic import BaseModel, Field, field_validator

from shared.services import SERVICES, Service
from shared.settings import ServiceSettings


class CouncilContact(BaseModel):
    """Who a family contacts about their child's plan, as the plan page and PDF say it."""

    name: str = Field(examples=["Leeds City Council"])
    phone: str | None = None
    email: str | None = None


class PlansSettings(ServiceSettings):
    service: ClassVar[Service] = SERVICES["plans"]
    development_defaults: ClassVar[frozenset[str]] = ServiceSettings.development_defaults | {
        "council_contacts"
    }
    council_contacts: dict[str, CouncilContact] = Field(
        default={
            "E08000035": CouncilContact(name="Leeds City Council"),
            "E08000032": CouncilContact(name="City of Bradford Metropolitan District Council"),
        },
        description="COUNCIL_CONTACTS (JSON): each council's name, and the SEND team's phone "
        "and email, by ONS code, for the family's plan page and the PDF; the defaults are the "
        "development councils, without contact details",
    )
    described_wait_s: float = Field(
        default=600,
        gt=0,
        description="DESCRIBED_WAIT_S: how long a referral waits for the referrer's words (their "
        "own topic) before its plan is drafted without them",
    )
    review_check_interval_s: float = Field(
        default=3600, gt=0, description="How often the review scheduler looks for reviews due"
    )
    pdf_renders_at_once: int = Field(
        default=2,
        ge=1,
        description="PDF_RENDERS_AT_ONCE: plan PDFs one process renders at once (each takes "
        "10-15 MiB while it runs and a core's CPU: more at once finish none sooner)",
    )
    pdf_render_wait_s: float = Field(
        default=2.0,
        gt=0,
        description="PDF_RENDER_WAIT_S: how long a PDF request waits for a turn before a 503 "
        "with Retry-After",
    )
    rate_limit_pdf: str = Field(
        default="10/minute",
        description="RATE_LIMIT_PDF: PDFs of one plan through the family's links, and PDFs one "
        "member of staff prints; `limits` notation (429 with Retry-After beyond it)",
    )

    @field_validator("rate_limit_pdf")
    @classmethod
    def _pdf_rate_limit(cls, value: str) -> str:
        try:
            limits.parse_many(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a rate limit: write e.g. '10/minute'") from exc
        return value
