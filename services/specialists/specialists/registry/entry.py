"""A registry entry as managers write it (API and CSV): a team or a practitioner. Pure."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from shared.specialisms import Specialism

Council = Annotated[str, StringConstraints(pattern=r"^E(0[68]|09|10)[0-9]{6}$")]
District = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")]
Urn = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
_CONTROL = re.compile(r"[\x00-\x1f\x7f<>]")


class EntryFields(BaseModel):
    """What a manager says about a team or practitioner."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["team", "practitioner"] = "team"
    team_id: UUID | None = Field(
        default=None, description="A practitioner's team (an entry of kind team), if any"
    )
    display_name: str = Field(min_length=1, max_length=120, examples=["Leeds North SLT team"])
    role: Specialism = Field(description="From the shared vocabulary (shared/specialisms.py)")
    local_authority: Council = Field(description="The council that commissions the entry")
    councils: list[Council] = Field(
        default_factory=list,
        description="Councils to serve (the commissioning council when left empty); each "
        "other than the manager's own is served once its managers agree",
        max_length=20,
    )
    districts: list[District] = Field(
        min_length=1, max_length=100, description="Postcode districts served", examples=[["LS6"]]
    )
    settings: list[Urn] = Field(
        default_factory=list, max_length=500, description="Schools and settings visited (URNs)"
    )
    languages: list[Language] = Field(
        default_factory=lambda: ["en"], min_length=1, max_length=30, description="ISO 639"
    )
    capacity: int = Field(
        ge=0,
        le=100_000,
        description="Caseload in weighted places: a support referral counts 1, an EHC one 2, "
        "profound or multi-sensory needs 1 more",
    )
    working_pattern: str = Field(
        default="", max_length=200, examples=["Mon-Fri, term time", "0.6 FTE, Tue-Thu"]
    )
    active: bool = True
    email: EmailStr | None = Field(
        default=None,
        max_length=254,
        description="The team's or practitioner's own mailbox (never a person's private "
        "address): told there of each child allocated to the entry",
        examples=["slt.north@leeds.example"],
    )

    @field_validator("display_name", "working_pattern")
    @classmethod
    def _plain(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("no control characters or markup")
        return value.strip()

    @field_validator("councils", "districts", "settings", "languages")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    def served(self) -> list[str]:
        return self.councils or [self.local_authority]


class EntryIn(EntryFields):
    """An entry to create, or a CSV row (its id kept on import; a new one when left out)."""

    id: UUID | None = None


class EntryView(EntryFields):
    id: UUID
    allocated: int = Field(description="Weighted places taken by active allocations")
    awaiting_agreement: list[Council] = Field(
        default_factory=list,
        description="Councils named that have not agreed yet: the entry does not serve them",
    )

    def serving(self) -> list[str]:
        """The councils whose children the entry may take now: those that agreed."""
        return [c for c in self.served() if c not in self.awaiting_agreement]
