"""The national standards catalogue and the councils' layers, as shipped."""

from __future__ import annotations

import re

import pytest
from plans.catalogue_store import shipped
from plans.coverage import coverage, markdown
from plans.standards import NATIONAL, PHASES, CatalogueVersion, in_force, newest

from scripts.platform import REPO_ROOT
from shared.events import Sen2Need
from shared.specialisms import Specialism

VERSIONS = [version for version, _ in shipped()]
_NATIONAL = newest(VERSIONS, NATIONAL)
assert _NATIONAL is not None
NATIONAL_VERSION: CatalogueVersion = _NATIONAL
STANDARDS = [s for v in VERSIONS for s in v.standards]
LINES = [(s.id, line) for s in STANDARDS for line in s.provision]
HEALTH_WORDS = re.compile(r"\b(NHS|audiolog\w*|clinic|ophthalmolog\w*|hospital)\b", re.I)
AREAS = {
    "communication and interaction",
    "cognition and learning",
    "social, emotional and mental health",
    "sensory and/or physical",
}


@pytest.mark.parametrize("need", list(Sen2Need))
@pytest.mark.parametrize("phase", PHASES)
def test_every_sen2_code_has_standards_written_for_it_in_every_phase(
    need: Sen2Need, phase: str
) -> None:
    catalogue = in_force(NATIONAL_VERSION)
    serving = catalogue.for_need(need, phase)  # type: ignore[arg-type]  # a Phase
    assert serving, f"no standard for {need} in {phase}"


def test_the_four_broad_areas_are_all_covered_and_every_code_has_its_area() -> None:
    assert {s.area for s in NATIONAL_VERSION.standards} == AREAS
    assert set(NATIONAL_VERSION.needs) == set(Sen2Need)
    assert {d.area for d in NATIONAL_VERSION.needs.values()} == AREAS


def test_several_standards_serve_most_codes() -> None:
    rows = coverage(in_force(NATIONAL_VERSION))
    assert sum(len(r.standards) >= 2 for r in rows) == len(Sen2Need)


def test_every_id_is_unique_within_its_version_and_stable_in_form() -> None:
    for version in VERSIONS:
        ids = [s.id for s in version.standards]
        assert len(ids) == len(set(ids)), version.name
        assert all(re.fullmatch(r"[A-Z0-9]+-[A-Z0-9]+-[0-9]{2}", i) for i in ids)


def test_every_provision_line_is_quantified_and_serves_its_standards_outcomes() -> None:
    for standard in STANDARDS:
        keys = {o.key for o in standard.outcomes}
        for line in standard.provision:
            quantities = (line.sessions_per_week, line.minutes_per_session, line.weeks)
            assert min(quantities) > 0, standard.id
            assert line.group_size >= 1, standard.id
            assert line.where.strip(), standard.id
            assert line.delivered_by.strip(), standard.id
            assert set(line.outcomes) <= keys, standard.id


def test_every_role_is_one_of_the_shared_vocabulary_and_each_standard_names_one() -> None:
    for standard in STANDARDS:
        roles = [line.role for line in standard.provision if line.role is not None]
        assert all(isinstance(r, Specialism) for r in roles)
        if any(line.section == "F" for line in standard.provision):
            assert roles, f"{standard.id}: no specialist delivers or supervises its provision"


def test_health_provision_is_only_in_g() -> None:
    for standard_id, line in LINES:
        health = bool(HEALTH_WORDS.search(f"{line.delivered_by} {line.where}"))
        assert health == (line.section == "G"), (standard_id, line.support)


def test_elsa_is_delivered_by_trained_assistants_supervised_by_a_psychologist() -> None:
    [elsa] = [line for s in STANDARDS for line in s.provision if "ELSA" in line.support]
    assert "teaching assistant" in elsa.delivered_by
    assert "supervised by an educational psychologist" in elsa.delivered_by
    assert elsa.role is Specialism.EDUCATIONAL_PSYCHOLOGY


def test_every_standard_cites_its_evidence_and_its_outcomes_are_reviewed_within_a_year() -> None:
    for standard in STANDARDS:
        assert standard.evidence.sources, standard.id
        assert standard.evidence.summary, standard.id
        for outcome in standard.outcomes:
            assert any(ch.isdigit() for ch in outcome.text), f"{standard.id}: not measurable"
            assert 2 <= outcome.review_weeks <= 52


def test_a_councils_standard_replaces_the_national_one_of_its_id_for_that_council_only() -> None:
    leeds = newest(VERSIONS, "E08000035")
    assert leeds is not None
    national = in_force(NATIONAL_VERSION)
    for_leeds = in_force(NATIONAL_VERSION, leeds)
    assert for_leeds.versions == ["national-2026.1", "E08000035-2026.1"]
    overridden = {s.id: s for s in leeds.standards}
    ids = [s.id for s in for_leeds.standards]
    assert len(ids) == len(set(ids))
    for standard in for_leeds.standards:
        expected = overridden.get(standard.id) or next(
            s for s in national.standards if s.id == standard.id
        )
        assert standard == expected
    assert set(ids) - {s.id for s in national.standards} == {"SEMH-NURT-01"}
    assert {i for i, v in for_leeds.version_of.items() if v == leeds.name} == set(overridden)


def test_the_newest_version_of_a_layer_is_by_version_number() -> None:
    older = NATIONAL_VERSION.model_copy(update={"version": "2026.9"})
    later = NATIONAL_VERSION.model_copy(update={"version": "2026.10"})
    assert newest([later, older], NATIONAL) == later
    assert newest([older], "E08000032") is None


def test_a_council_layer_cannot_stand_in_for_the_national_one() -> None:
    leeds = newest(VERSIONS, "E08000035")
    assert isinstance(leeds, CatalogueVersion)
    with pytest.raises(ValueError, match="not a national"):
        in_force(leeds)


def test_the_coverage_table_in_the_docs_is_current() -> None:
    table = markdown(in_force(NATIONAL_VERSION))
    assert table in (REPO_ROOT / "docs" / "plans-catalogue.md").read_text()
