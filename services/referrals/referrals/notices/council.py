"""What each council's notices say about it: who to contact, the mediation adviser, disagreement
resolution, the local information, advice and support service (SENDIASS), its Local Offer, and
the teams it tells of each step (``COUNCIL_NOTICES``, a council's choice, never code)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl


class Contact(BaseModel):
    """A service a family may contact: its name and at least one way to reach it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = None
    website: HttpUrl | None = None


class TeamsTold(BaseModel):
    """Whom the council tells at each step the Regulations name (Regs 4(2), 5(2), 10(2), 13(2)):
    team mailboxes, never a family's. A school is told at its own address, by its URN."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    designated_clinical_officer: EmailStr | None = Field(
        default=None, description="Health: the designated medical or clinical officer"
    )
    social_care: EmailStr | None = Field(default=None, description="Children's social care")
    health_commissioning: EmailStr | None = Field(
        default=None, description="The health commissioning body (the final plan: Reg 13(2))"
    )
    schools: dict[str, EmailStr] = Field(
        default_factory=dict,
        description="Each school's SEND mailbox by its URN (6 digits)",
        examples=[{"107958": "senco@school.example"}],
    )


class CouncilNotices(BaseModel):
    """One council's details in its letters (``COUNCIL_NOTICES``: JSON by ONS code, ``*`` for
    every council not listed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, examples=["Leeds City Council"])
    send_team: Contact = Field(
        description="Whom the family contacts about the decision, to pursue mediation (Reg "
        "32(f)) or to ask for a meeting with an officer about a draft plan (Reg 13(1))"
    )
    mediation_adviser: Contact = Field(description="The mediation adviser (Reg 32(c))")
    disagreement_resolution: Contact
    sendiass: Contact = Field(description="The local information, advice and support service")
    local_offer: HttpUrl = Field(
        description="The council's Local Offer: where the list of schools and colleges is"
    )
    example: bool = Field(
        default=False,
        description="True for the sample details of a development run: each letter says so",
    )
    teams: TeamsTold = Field(default_factory=TeamsTold)


SAMPLE = CouncilNotices(
    name="Example council (sample details: set COUNCIL_NOTICES)",
    send_team=Contact(name="SEND team (example)", email="send-team@council.example"),
    mediation_adviser=Contact(name="Mediation adviser (example)", phone="0100 000 0000"),
    disagreement_resolution=Contact(
        name="Disagreement resolution (example)", email="resolve@council.example"
    ),
    sendiass=Contact(name="SENDIASS (example)", website="https://sendiass.council.example/"),
    local_offer="https://localoffer.council.example/",
    example=True,
    teams=TeamsTold(
        designated_clinical_officer="dco@health.example",
        social_care="social-care@council.example",
        health_commissioning="commissioning@health.example",
    ),
)
"""A development run's details for every council: marked as an example, never a real
council's services."""

ANY_COUNCIL = "*"


def notices_for(configured: dict[str, CouncilNotices], council: str) -> CouncilNotices:
    """``council``'s details, else those for every council (``*``)."""
    found = configured.get(council) or configured.get(ANY_COUNCIL)
    if found is None:
        raise LookupError(f"COUNCIL_NOTICES has no entry for {council} and no '*'")
    return found
