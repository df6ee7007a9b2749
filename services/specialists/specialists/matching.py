"""Choosing a registry entry for one role a child needs. Pure.

Choose by: the role; serving the child's council; closeness (visits the child's school, else
works in the child's postcode district, else the fewest districts away, else elsewhere in the
council); speaking the family's language; then the most weighted places free. Every choice
keeps its reasons, in words a caseworker reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from specialists.geography import districts_apart

ELSEWHERE = 99
"""Closeness of an entry serving the council but none of the districts near the child."""


@dataclass(frozen=True)
class Child:
    """What matching knows of a child: codes only."""

    local_authority: str
    postcode_district: str
    school_urn: str | None = None
    language: str = "en"


@dataclass(frozen=True)
class Entry:
    """A team or practitioner in the registry, with its caseload now."""

    id: UUID
    display_name: str
    role: str
    councils: tuple[str, ...]
    districts: tuple[str, ...]
    settings: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    capacity: int = 0
    allocated: int = 0
    active: bool = True
    email: str | None = None
    """Where the entry is told of a child allocated to it (its own mailbox)."""

    @property
    def free(self) -> int:
        return self.capacity - self.allocated


@dataclass(frozen=True)
class Choice:
    entry: Entry
    reasons: tuple[str, ...]
    closeness: int
    speaks: bool

    @property
    def same_district(self) -> bool:
        return self.closeness <= 1


@dataclass(frozen=True)
class Ranking:
    """Every entry of the role serving the child's council, best first; ``serving`` False
    when there is none (no team of this kind serves the area)."""

    choices: tuple[Choice, ...]

    @property
    def serving(self) -> bool:
        return bool(self.choices)

    def with_room(self, weight: int) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.entry.free >= weight)


def closeness(entry: Entry, child: Child) -> tuple[int, str]:
    """0 visits the child's school; 1 works in the child's district; 1 + n: n districts away;
    ``ELSEWHERE``: elsewhere in the council. With the reason in words."""
    if child.school_urn and child.school_urn in entry.settings:
        return 0, f"visits the child's school (URN {child.school_urn})"
    apart = districts_apart(child.postcode_district, entry.districts)
    if apart == 0:
        return 1, f"works in the child's postcode district ({child.postcode_district})"
    if apart is not None:
        return 1 + apart, (
            f"nearest: works {apart} district{'s' if apart > 1 else ''} from "
            f"{child.postcode_district} (adjoining districts table)"
        )
    return ELSEWHERE, f"serves the council; no district near {child.postcode_district}"


def rank(entries: list[Entry], role: str, child: Child, weight: int) -> Ranking:
    """The entries that could take the child for ``role``, best first."""
    serving = [
        e for e in entries if e.active and e.role == role and child.local_authority in e.councils
    ]
    choices = []
    for entry in serving:
        near, why_near = closeness(entry, child)
        speaks = child.language in entry.languages
        reasons = (
            f"role: {role}",
            f"serves the child's council ({child.local_authority})",
            why_near,
            f"speaks the family's language ({child.language})"
            if speaks
            else f"does not list the family's language ({child.language})",
            f"{entry.free} of {entry.capacity} weighted places free (this child counts {weight})",
        )
        choices.append(Choice(entry, reasons, near, speaks))
    choices.sort(key=lambda c: (c.closeness, not c.speaks, -c.entry.free, str(c.entry.id)))
    return Ranking(tuple(choices))
