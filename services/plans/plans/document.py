"""The plan as a document: its sections A to K, the shape drafting fills, caseworkers edit,
versions keep, and the family page and the PDF render. Pure data, no I/O.

Sections follow Regulation 12 of the SEND Regulations 2014 (``../DOMAIN.md``): a support-track
plan uses A, B, E, F and G; an EHC-track plan uses all of them. Every line of B, E, F and G
cites where it came from (a standard's id, or ``caseworker`` for a line a person wrote), so a
reader can trace each promise to the national standard behind it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Phase, Sen2Need, Track
from shared.specialisms import Specialism

SECTION_KEYS = ("A", "B", "C", "D", "E", "F", "G", "H1", "H2", "I", "J", "K")
SUPPORT_SECTIONS = ("A", "B", "E", "F", "G")
APPEALABLE = ("B", "F", "I")  # only these can be appealed to the tribunal (DOMAIN.md)

Area = Literal[
    "communication and interaction",
    "cognition and learning",
    "social, emotional and mental health",
    "sensory and/or physical",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Need(_Frozen):
    """Section B: one special educational need, described."""

    id: str = Field(description="Stable within the plan, e.g. need-1", examples=["need-1"])
    code: Sen2Need
    area: Area
    primary: bool
    description: str = Field(description="Plain English, for a parent to read")
    in_the_referrers_words: str | None = Field(
        default=None, description="What the referrer said about strengths and difficulties"
    )


class Outcome(_Frozen):
    """Section E: a SMART outcome (specific, measurable, achievable, relevant, time-bound)."""

    id: str = Field(examples=["outcome-1"])
    need_ids: list[str] = Field(min_length=1, description="The needs in B it meets")
    text: str = Field(examples=["By July 2027, Sam asks for help in class using 3-word phrases"])
    measure: str = Field(description="How progress is measured", examples=["termly observation"])
    review_on: date = Field(description="When progress is reviewed")
    standard_id: str = Field(description="The standard it came from, or 'caseworker'")
    suggested: bool = Field(
        default=False,
        description="EHC plan: offered by the catalogue, not yet confirmed by a caseworker "
        "(the plan is not issued until every line is)",
    )


class HealthAgreement(_Frozen):
    """The health commissioning body agreed to arrange a line of health provision: s42(3)
    puts the duty on it, so section G names only what it agreed."""

    agreed_by: str = Field(
        min_length=3,
        max_length=200,
        description="The health commissioning body",
        examples=["NHS West Yorkshire Integrated Care Board"],
    )
    agreed_on: date
    recorded_by: str = Field(description="The caseworker's id who recorded it (never a name)")


class Provision(_Frozen):
    """Section F (educational) or G (health): one line, specific and quantified
    (Code of Practice 9.69)."""

    id: str = Field(examples=["provision-1"])
    outcome_ids: list[str] = Field(min_length=1, description="The outcomes in E it serves")
    support: str = Field(description="Type of support", examples=["a language programme"])
    delivered_by: str = Field(
        description="Who, and their level of expertise",
        examples=["a teaching assistant trained and supervised by a speech and language therapist"],
    )
    role: Specialism | None = Field(
        default=None, description="The specialist role it needs, if any (matching uses it)"
    )
    sessions_per_week: float = Field(gt=0, description="How often; 0.5 = fortnightly")
    minutes_per_session: int = Field(gt=0)
    weeks: int = Field(gt=0, description="For how many weeks")
    group_size: int = Field(ge=1, description="1 for one-to-one")
    where: str = Field(examples=["in class", "a quiet room at school", "audiology clinic"])
    standard_id: str = Field(description="The standard it came from, or 'caseworker'")
    suggested: bool = Field(
        default=False,
        description="EHC plan: offered by the catalogue, not yet confirmed by a caseworker "
        "(the plan is not issued until every line is)",
    )
    dose: str | None = Field(
        default=None,
        description="Where its sessions, minutes and weeks come from: the source the catalogue "
        "cites, or that they are a local default for the council to set",
    )
    health_agreement: HealthAgreement | None = Field(
        default=None,
        description="Section G: the health commissioning body's agreement to provide it "
        "(s42(3)), as the caseworker recorded it",
    )


class Adviser(_Frozen):
    """Section K: advice and information received. Advice an adviser returned through their
    link carries its document (in the referrals service's store) and their short summary."""

    kind: str = Field(examples=["educational_psychology"])
    received_on: date
    document_id: UUID | None = Field(
        default=None, description="The advice as a document (referrals' document store)"
    )
    needs: str | None = Field(default=None, description="The needs the adviser found")
    outcomes_sought: str | None = Field(default=None, description="The outcomes they advise")
    provision_recommended: str | None = Field(
        default=None, description="The provision they recommend"
    )


class PlanDocument(_Frozen):
    """The whole plan. Sections a track does not use are left empty (None or [])."""

    track: Track
    phase: Phase | None = None
    drafted_on: date | None = Field(
        default=None, description="The day drafting started from (the request's received_on)"
    )
    reviewed_on: date | None = Field(
        default=None,
        description="The annual review meeting the plan is being (or was last) amended at: "
        "its outcomes run from then to the next review, within 12 months of it",
    )
    catalogue_versions: list[str] = Field(
        description="Every catalogue version used, national first, e.g. national-2026.1, "
        "E08000035-2026.2",
        examples=[["national-2026.1"]],
    )
    A: str | None = Field(default=None, description="Views, interests and aspirations")
    B: list[Need] = Field(default_factory=list)
    C: str | None = Field(default=None, description="Health needs")
    D: str | None = Field(default=None, description="Social care needs")
    E: list[Outcome] = Field(default_factory=list)
    F: list[Provision] = Field(default_factory=list, description="Special educational provision")
    G: list[Provision] = Field(default_factory=list, description="Health provision")
    H1: str | None = Field(default=None, description="Social care provision (CSDPA s2)")
    H2: str | None = Field(default=None, description="Other social care provision")
    I: str | None = Field(default=None, description="Placement: named later")  # noqa: E741  # the section's name
    J: str | None = Field(default=None, description="Personal budget")
    K: list[Adviser] = Field(default_factory=list)

    def roles(self) -> list[Specialism]:
        """The specialist roles its provision needs, in first-mention order (F, then G)."""
        seen: list[Specialism] = []
        for line in [*self.F, *self.G]:
            if line.role is not None and line.role not in seen:
                seen.append(line.role)
        return seen
