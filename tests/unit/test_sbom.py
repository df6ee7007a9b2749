"""`make sbom`: a CycloneDX SBOM of the installed environment, holding every pinned package at
exactly its pinned version (run here, so CI checks it on every change of the pins)."""

from __future__ import annotations

from pathlib import Path

from scripts import sbom


def test_the_sbom_of_the_installed_environment_lists_every_pin_at_its_version(
    tmp_path: Path,
) -> None:
    made = sbom.generate(tmp_path / "sbom.cdx.json")
    assert (made["bomFormat"], made["specVersion"]) == ("CycloneDX", "1.6")
    assert made["metadata"]["component"]["name"] == "send-platform"
    pinned = sbom.pins()
    assert len(pinned) > 100
    assert {"fastapi", "faststream", "coredis", "opentelemetry-exporter-zipkin-json"} <= set(pinned)
    assert sbom.unlisted(made, pinned) == []
    purls = {c["name"].lower(): c.get("purl", "") for c in made["components"]}
    assert purls["fastapi"] == f"pkg:pypi/fastapi@{pinned['fastapi']}"


def test_a_pin_missing_from_the_environment_or_at_another_version_is_named(
    tmp_path: Path,
) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# pins\nFastAPI==0.0.1\nno-such-package==1.0\n")
    found = {"components": [{"name": "fastapi", "version": "0.160.0"}]}
    assert sbom.unlisted(found, sbom.pins(constraints)) == [
        "fastapi==0.0.1 (0.160.0)",
        "no-such-package==1.0 (absent)",
    ]
