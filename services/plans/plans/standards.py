"""The national standards catalogue, and a council's layer over it: what a standard is, and
which standards are in force for a council. Pure data and its rules, no I/O.

A catalogue version is a JSON file in ``plans/catalogue/`` (``national-2026.1.json``,
``E08000035-2026.1.json``), released once and never edited: a change is a new version file.
The migrations import every shipped file into the database (``plans.catalogue_store``).

In force for a council: the newest version of the national layer and the newest version of
the council's own layer, "newest" by version number (``2026.10`` after ``2026.9``). A council's
standard replaces the national standard with the same id, for that council only; a new id
adds a standard.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plans.document import Area
from shared.events import Phase, Sen2Need
from shared.specialisms import Specialism

NATIONAL = "national"
PHASES: tuple[Phase, ...] = ("early_years", "primary", "secondary", "post_16")
STANDARD_ID = r"^[A-Z0-9]+-[A-Z0-9]+-[0-9]{2}$"
DOSES_CITED_FROM = (2026, 2)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    summary: str = Field(min_length=20, description="What the evidence says, in brief")
    sources: list[str] = Field(min_length=1, description="Public sources, cited by name")


class OutcomeTemplate(_Frozen):
    """A SMART outcome the standard supports: ``text`` follows "By <review date>, the child"."""

    key: str = Field(pattern=r"^[a-z0-9-]+$")
    text: str = Field(min_length=10, examples=["will ask for help using 3-word phrases"])
    measure: str = Field(min_length=5, description="How progress is measured")
    review_weeks: int = Field(ge=2, le=52, description="Weeks from the request to its review")


LOCAL_DEFAULT = "a local default for the council to set"


class Dose(_Frozen):
    """Where a line's sessions, minutes and weeks come from. No national source sets a dose
    for most provision: then it is a local default, which the council sets in its own layer
    (and the caseworker against the advice), never presented as a national standard."""

    source: str | None = Field(
        default=None, min_length=10, description="The public source that sets this dose"
    )
    local_default: bool = Field(
        default=False, description="No source sets it: a local default for the council to set"
    )

    @model_validator(mode="after")
    def _one_basis(self) -> Dose:
        if (self.source is None) == (not self.local_default):
            raise ValueError("a dose cites its source, or is marked as a local default: one")
        return self

    @property
    def words(self) -> str:
        return f"source: {self.source}" if self.source else LOCAL_DEFAULT


class ProvisionTemplate(_Frozen):
    """A recommended provision line, quantified as Code of Practice 9.69 asks."""

    section: Literal["F", "G"] = Field(description="F: educational; G: health (NHS)")
    outcomes: list[str] = Field(min_length=1, description="Keys of the outcomes it serves")
    support: str = Field(min_length=5)
    delivered_by: str = Field(min_length=5, description="Who, and their level of expertise")
    role: Specialism | None = Field(description="The specialist who delivers or supervises it")
    sessions_per_week: float = Field(gt=0, le=10)
    minutes_per_session: int = Field(gt=0, le=480)
    weeks: int = Field(gt=0, le=52)
    group_size: int = Field(ge=1, le=12)
    where: str = Field(min_length=3)
    dose: Dose | None = Field(
        default=None,
        description="Where its sessions, minutes and weeks come from (every line from 2026.2)",
    )


class Standard(_Frozen):
    id: str = Field(pattern=STANDARD_ID, examples=["SLCN-EXPR-01"])
    title: str
    area: Area
    needs: list[Sen2Need] = Field(min_length=1)
    phases: list[Phase] = Field(min_length=1)
    evidence: Evidence
    outcomes: list[OutcomeTemplate] = Field(min_length=1)
    provision: list[ProvisionTemplate] = Field(min_length=1)


class NeedDescription(_Frozen):
    area: Area
    title: str
    description: str = Field(description="Plain English, for a parent to read")


class CatalogueVersion(_Frozen):
    """One released file: a layer (``national`` or a council's ONS code) at one version."""

    layer: str = Field(pattern=r"^(national|E0[6-9][0-9]{6}|E10[0-9]{6})$")
    version: str = Field(pattern=r"^[0-9]{4}\.[0-9]+$", examples=["2026.1"])
    released_on: str
    needs: dict[Sen2Need, NeedDescription] = Field(
        default_factory=dict, description="National layer: each SEN2 code's area and words"
    )
    standards: list[Standard]
    example: str | None = Field(
        default=None,
        description="A council layer shipped as an example: says so, and that it makes no "
        "claim about that council's services",
    )

    @model_validator(mode="after")
    def _doses_cited(self) -> CatalogueVersion:
        """From 2026.2 every dose cites its source or is a local default (2026.1, released
        before the rule, stays as released)."""
        if version_key(self.version) < DOSES_CITED_FROM:
            return self
        missing = [s.id for s in self.standards for p in s.provision if p.dose is None]
        if missing:
            raise ValueError(f"{self.name}: doses neither cited nor local defaults in {missing}")
        return self

    @property
    def name(self) -> str:
        return f"{self.layer}-{self.version}"


def version_key(version: str) -> tuple[int, ...]:
    """``2026.10`` sorts after ``2026.9``."""
    return tuple(int(part) for part in version.split("."))


def newest(versions: list[CatalogueVersion], layer: str) -> CatalogueVersion | None:
    """The newest version of ``layer`` among ``versions``, or None when it has none."""
    mine = [v for v in versions if v.layer == layer]
    return max(mine, key=lambda v: version_key(v.version)) if mine else None


class Catalogue(_Frozen):
    """The standards in force for one council: the national layer, overridden and extended
    by the council's layer (if any)."""

    versions: list[str] = Field(description="The versions used, national first")
    needs: dict[Sen2Need, NeedDescription]
    standards: list[Standard] = Field(description="National order; the council's additions last")
    version_of: dict[str, str] = Field(
        default_factory=dict, description="Each standard's id: the version it comes from"
    )

    def for_need(self, need: Sen2Need, phase: Phase | None) -> list[Standard]:
        """The standards serving ``need`` in ``phase``: those written for it first (it is
        the first need they name), each group in catalogue order. Phase unknown: every
        standard of the need, those covering the most phases first within each group."""
        serving = [s for s in self.standards if need in s.needs]
        if phase is not None:
            serving = [s for s in serving if phase in s.phases]
        widest = 0 if phase is not None else 1
        return sorted(serving, key=lambda s: (s.needs[0] != need, -len(s.phases) * widest))


def in_force(national: CatalogueVersion, council: CatalogueVersion | None = None) -> Catalogue:
    """The catalogue a council drafts with: ``national`` with ``council``'s layer over it."""
    if national.layer != NATIONAL:
        raise ValueError(f"{national.name} is not a national catalogue version")
    standards = list(national.standards)
    versions = [national.name]
    version_of = dict.fromkeys((s.id for s in standards), national.name)
    if council is not None:
        versions.append(council.name)
        position = {s.id: i for i, s in enumerate(standards)}
        for standard in council.standards:
            if standard.id in position:
                standards[position[standard.id]] = standard
            else:
                standards.append(standard)
            version_of[standard.id] = council.name
    return Catalogue(
        versions=versions, needs=national.needs, standards=standards, version_of=version_of
    )
