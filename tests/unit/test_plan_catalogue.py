"""The standards catalogue (the national layer) and the councils' layers, as shipped."""

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
    national = [p for s in NATIONAL_VERSION.standards for p in s.provision]
    [elsa] = [p for p in national if "ELSA" in p.support]
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
    assert for_leeds.versions == ["national-2026.2", "E08000035-2026.2"]
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


NEWEST = [v for v in VERSIONS if newest(VERSIONS, v.layer) == v]


@pytest.mark.parametrize("version", NEWEST, ids=lambda v: v.name)
def test_every_dose_cites_its_source_or_is_a_local_default_for_the_council(
    version: CatalogueVersion,
) -> None:
    for standard in version.standards:
        for line in standard.provision:
            assert line.dose is not None, (version.name, standard.id, line.support)
            assert line.dose.source or line.dose.local_default
    with pytest.raises(ValueError, match="neither cited nor local defaults"):
        CatalogueVersion.model_validate(
            {
                **version.model_dump(mode="json"),
                "standards": [
                    {
                        **s.model_dump(mode="json"),
                        "provision": [
                            {**p.model_dump(mode="json"), "dose": None} for p in s.provision
                        ],
                    }
                    for s in version.standards
                ],
            }
        )


def test_a_drafted_line_says_its_dose_is_a_local_default_for_the_council() -> None:
    from plans.drafting import draft_document  # only this test drafts

    from tests.unit.test_plan_drafting import _referral

    document = draft_document(_referral(), None, in_force(NATIONAL_VERSION))
    assert {p.dose for p in document.F} == {"a local default for the council to set"}


def test_nothing_says_national_standard_that_no_national_source_sets() -> None:
    templates = [
        *(REPO_ROOT / "services" / "plans" / "plans" / "templates").rglob("*.html"),
        *(REPO_ROOT / "services" / "web" / "web" / "templates").rglob("*.html"),
    ]
    said = [str(t) for t in templates if "national standard" in t.read_text().lower()]
    said += [v.name for v in NEWEST if "national standard" in v.model_dump_json().lower()]
    assert said == []


def test_the_sample_council_layer_is_an_example_making_no_claim_about_a_real_council() -> None:
    councils = [v for v in NEWEST if v.layer != NATIONAL]
    assert councils
    for layer in councils:
        assert layer.example is not None
        assert "makes no claim" in layer.example
        text = layer.model_dump_json(exclude={"example"})
        assert "Leeds" not in text, layer.name


def test_neli_is_described_as_it_is_a_reception_programme_of_about_20_weeks() -> None:
    for version in NEWEST:
        for standard in version.standards:
            if "NELI" not in standard.evidence.summary + " ".join(standard.evidence.sources):
                continue
            summary = standard.evidence.summary
            assert "Reception-year programme of about 20 weeks" in summary, standard.id
            assert "delivered by trained teaching assistants" in summary, standard.id
