"""Which roles a referral needs, and how much of a caseload it takes. Pure.

Caseload weights (a practitioner's or team's ``capacity`` is in these points):

- 1: a support-track referral (SEN support: advice, a programme, reviews);
- 2: an EHC-track referral (statutory advice to a deadline, more sessions): "complex";
- +1 for profound and multiple or multi-sensory needs (PMLD, MSI): they take longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from shared.events import Sen2Need, Track
from shared.specialisms import Specialism
from specialists.matching import Child

SUPPORT_WEIGHT = 1
EHC_WEIGHT = 2
PROFOUND_EXTRA = 1
PROFOUND_NEEDS = frozenset({Sen2Need.PMLD, Sen2Need.MSI})

_SENSORY_TEACHERS = {
    Sen2Need.HI: Specialism.HEARING_IMPAIRMENT_TEACHING,
    Sen2Need.VI: Specialism.VISION_IMPAIRMENT_TEACHING,
    Sen2Need.MSI: Specialism.MULTI_SENSORY_IMPAIRMENT_TEACHING,
}
LEGACY_ROLES = {"sensory_support"}
"""Older plans name a sensory service, not a role: the child's sensory need picks the role."""


@dataclass(frozen=True)
class Needed:
    role: str
    statutory: bool


@dataclass(frozen=True)
class Need:
    """A referral as matching sees it: from its plan, and its EHC request if any."""

    referral_id: UUID
    local_authority: str
    plan_id: UUID | None
    primary_need: str | None
    secondary_needs: tuple[str, ...]
    postcode_district: str | None
    school_urn: str | None
    language: str
    track: str
    statutory_due: date | None
    needed_since: datetime | None

    @property
    def sen2(self) -> list[Sen2Need]:
        codes = [self.primary_need, *self.secondary_needs]
        return [Sen2Need(c) for c in codes if c is not None and c in set(Sen2Need)]

    @property
    def child(self) -> Child:
        return Child(
            self.local_authority, self.postcode_district or "", self.school_urn, self.language
        )

    @property
    def places(self) -> int:
        """The weighted places an allocation of this referral takes."""
        return weight(self.track, self.primary_need)


def weight(track: Track | str, primary_need: Sen2Need | str | None) -> int:
    base = EHC_WEIGHT if track == "ehc" else SUPPORT_WEIGHT
    return base + (PROFOUND_EXTRA if primary_need in PROFOUND_NEEDS else 0)


def statutory_roles(needs: list[Sen2Need]) -> list[Specialism]:
    """The statutory advice-givers of an EHC needs assessment (Reg 6(1)): an educational
    psychologist for every child; a qualified teacher of the deaf, of the vision impaired, of
    multi-sensory impairment for hearing, vision, multi-sensory needs."""
    teachers = [_SENSORY_TEACHERS[n] for n in needs if n in _SENSORY_TEACHERS]
    return list(dict.fromkeys([Specialism.EDUCATIONAL_PSYCHOLOGY, *teachers]))


def provision_roles(roles: list[Specialism | str], needs: list[Sen2Need]) -> list[str]:
    """The plan's roles, a legacy sensory service read as the teacher the need calls for."""
    found: list[str] = []
    for role in roles:
        if role in LEGACY_ROLES:
            found += [_SENSORY_TEACHERS[n] for n in needs if n in _SENSORY_TEACHERS][:1] or [
                Specialism.HEARING_IMPAIRMENT_TEACHING
            ]
        else:
            found.append(str(role))
    return list(dict.fromkeys(found))


def roles_needed(
    roles: list[Specialism | str], needs: list[Sen2Need], *, ehc: bool
) -> list[Needed]:
    """Every role to allocate, the plan's first (lead first), then any statutory advice-giver
    not among them. A plan's role that is also statutory counts as statutory."""
    statutory = [str(r) for r in statutory_roles(needs)] if ehc else []
    plan = provision_roles(roles, needs)
    return [Needed(r, r in statutory) for r in plan] + [
        Needed(r, True) for r in statutory if r not in plan
    ]
