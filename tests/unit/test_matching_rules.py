"""Matching's rules, in tables: which roles a referral needs, and which entry is chosen."""

from __future__ import annotations

from uuid import UUID

import pytest
from specialists.geography import districts_apart
from specialists.matching import ELSEWHERE, Child, Entry, rank
from specialists.needs import roles_needed, weight

from shared.events import Sen2Need
from shared.specialisms import Specialism

SLT = Specialism.SPEECH_AND_LANGUAGE_THERAPY
EP = Specialism.EDUCATIONAL_PSYCHOLOGY
HI = Specialism.HEARING_IMPAIRMENT_TEACHING
VI = Specialism.VISION_IMPAIRMENT_TEACHING
MSI = Specialism.MULTI_SENSORY_IMPAIRMENT_TEACHING
OT = Specialism.OCCUPATIONAL_THERAPY
LEEDS, BRADFORD = "E08000035", "E08000032"


@pytest.mark.parametrize(
    ("plan_roles", "needs", "ehc", "expected"),
    [
        # support track: the plan's roles only, lead first
        ([SLT], [Sen2Need.SLCN], False, [(SLT, False)]),
        ([SLT, OT], [Sen2Need.SLCN], False, [(SLT, False), (OT, False)]),
        # EHC: an educational psychologist for every child
        ([SLT], [Sen2Need.SLCN], True, [(SLT, False), (EP, True)]),
        ([EP], [Sen2Need.MLD], True, [(EP, True)]),
        # and a specialist teacher for hearing, vision, multi-sensory needs
        ([SLT], [Sen2Need.HI], True, [(SLT, False), (EP, True), (HI, True)]),
        ([OT], [Sen2Need.PD, Sen2Need.VI], True, [(OT, False), (EP, True), (VI, True)]),
        ([HI], [Sen2Need.MSI], True, [(HI, False), (EP, True), (MSI, True)]),
        # an older plan's sensory service becomes the teacher the need calls for
        (["sensory_support"], [Sen2Need.VI], False, [(VI, False)]),
        (["sensory_support"], [Sen2Need.HI], True, [(HI, True), (EP, True)]),
    ],
)
def test_roles_a_referral_needs(
    plan_roles: list[str], needs: list[Sen2Need], ehc: bool, expected: list[tuple[str, bool]]
) -> None:
    found = roles_needed(list(plan_roles), needs, ehc=ehc)
    assert [(n.role, n.statutory) for n in found] == expected


@pytest.mark.parametrize(
    ("track", "need", "places"),
    [("support", Sen2Need.SLCN, 1), ("ehc", Sen2Need.SLCN, 2), ("ehc", Sen2Need.PMLD, 3),
     ("support", Sen2Need.MSI, 2)],
)  # fmt: skip
def test_caseload_weights(track: str, need: Sen2Need, places: int) -> None:
    assert weight(track, need) == places


def _entry(n: int, **fields: object) -> Entry:
    values: dict[str, object] = {
        "id": UUID(int=n),
        "display_name": f"entry {n}",
        "role": SLT,
        "councils": (LEEDS,),
        "districts": ("LS11",),
        "capacity": 10,
        "allocated": 0,
    }
    values.update(fields)
    return Entry(**values)  # type: ignore[arg-type]


CHILD = Child(LEEDS, "LS6", school_urn="107958", language="ur")

# (why, entries, child, weight, expected ids best first)
CASES = [
    ("only the role counts", [_entry(1, role=OT), _entry(2)], CHILD, 1, [2]),
    ("only entries serving the child's council", [_entry(1, councils=(BRADFORD,)), _entry(2)],
     CHILD, 1, [2]),
    ("a team serving two councils serves both", [_entry(1, councils=(BRADFORD, LEEDS))],
     CHILD, 1, [1]),
    ("retired entries are never chosen", [_entry(1, active=False)], CHILD, 1, []),
    ("the child's school before the child's district",
     [_entry(1, districts=("LS6",)), _entry(2, settings=("107958",))], CHILD, 1, [2, 1]),
    ("the child's district before a busier-free one further away",
     [_entry(1, districts=("LS11",)), _entry(2, districts=("LS6",), allocated=9)], CHILD, 1,
     [2, 1]),
    ("an adjoining district before one two away",
     [_entry(1, districts=("LS1",)), _entry(2, districts=("LS7",))], CHILD, 1, [2, 1]),
    ("near before far, far before elsewhere",
     [_entry(1, districts=("BD1",)), _entry(2, districts=("LS12",))], CHILD, 1, [2, 1]),
    ("the family's language among equals",
     [_entry(1, districts=("LS6",)), _entry(2, districts=("LS6",), languages=("en", "ur"))],
     CHILD, 1, [2, 1]),
    ("then the most places free",
     [_entry(1, districts=("LS6",), allocated=5), _entry(2, districts=("LS6",), allocated=2)],
     CHILD, 1, [2, 1]),
]  # fmt: skip


@pytest.mark.parametrize(("why", "entries", "child", "places", "expected"), CASES)
def test_which_entry_is_chosen(
    why: str, entries: list[Entry], child: Child, places: int, expected: list[int]
) -> None:
    ranking = rank(entries, SLT, child, places)
    assert [c.entry.id.int for c in ranking.choices] == expected, why


def test_no_team_is_not_the_same_as_all_full() -> None:
    full = rank([_entry(1, allocated=10)], SLT, CHILD, 1)
    assert full.serving
    assert not full.with_room(1)
    none = rank([_entry(1, role=OT)], SLT, CHILD, 1)
    assert not none.serving


def test_a_complex_case_needs_its_weight_free() -> None:
    ranking = rank([_entry(1, allocated=9)], SLT, CHILD, 2)
    assert ranking.serving
    assert not ranking.with_room(2)
    assert ranking.with_room(1)


def test_each_choice_keeps_its_reasons_in_words() -> None:
    [choice] = rank([_entry(1, settings=("107958",), languages=("ur",))], SLT, CHILD, 2).choices
    assert choice.reasons == (
        "role: speech_and_language_therapy",
        f"serves the child's council ({LEEDS})",
        "visits the child's school (URN 107958)",
        "speaks the family's language (ur)",
        "10 of 10 weighted places free (this child counts 2)",
    )


@pytest.mark.parametrize(
    ("start", "served", "apart"),
    [("LS6", ("LS6",), 0), ("LS6", ("LS7", "LS10"), 1), ("LS6", ("LS1",), 2),
     ("LS6", ("ZZ1",), None), ("XX9", ("LS6",), None)],
)  # fmt: skip
def test_districts_apart(start: str, served: tuple[str, ...], apart: int | None) -> None:
    assert districts_apart(start, served) == apart


def test_elsewhere_in_the_council_ranks_last() -> None:
    [choice] = rank([_entry(1, districts=("ZZ1",))], SLT, CHILD, 1).choices
    assert choice.closeness == ELSEWHERE
