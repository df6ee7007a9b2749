"""`make sbom`: the installed environment as a CycloneDX SBOM (JSON), checked against the pins.

    python -m scripts.sbom [--output build/sbom.cdx.json]

CycloneDX's own generator (``cyclonedx-py environment``, from ``cyclonedx-bom``) reads what is
installed in this virtual environment (names, versions, licences, package URLs), with the
project as the root component (``pyproject.toml``), reproducibly (no timestamp or random serial
unless ``SOURCE_DATE_EPOCH`` is set). Then every package pinned in
``requirements/constraints.txt`` must be in it at exactly its pinned version: a pin that was
not installed, or installed at another version, fails (a test runs the same check in CI).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from scripts.platform import REPO_ROOT

CONSTRAINTS = REPO_ROOT / "requirements" / "constraints.txt"
DEFAULT_OUTPUT = REPO_ROOT / "build" / "sbom.cdx.json"


def _name(name: str) -> str:
    """A package's name as PEP 503 normalises it (``PyJWT``, ``pyjwt`` and ``py_jwt`` alike)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def generate(output: Path, python: str = sys.executable) -> dict[str, Any]:
    """Write the SBOM of the environment ``python`` runs in to ``output`` and return it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    generator = Path(python).with_name("cyclonedx-py")
    subprocess.run(  # our own virtual environment's tool, fixed arguments
        [str(generator), "environment", "--pyproject", str(REPO_ROOT / "pyproject.toml"),
         "--output-reproducible", "--of", "JSON", "-o", str(output), python],
        check=True,
    )  # fmt: skip
    sbom: dict[str, Any] = json.loads(output.read_text())
    return sbom


def pins(constraints: Path = CONSTRAINTS) -> dict[str, str]:
    """Every ``name==version`` of the constraints file, by normalised name."""
    found = {}
    for line in constraints.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[_name(name.split("[", 1)[0])] = version.strip()
    return found


def unlisted(sbom: dict[str, Any], pinned: dict[str, str]) -> list[str]:
    """Each pin the SBOM lacks or lists at another version, as ``name==pin (found)``."""
    listed = {_name(c["name"]): c.get("version") for c in sbom.get("components", [])}
    return [
        f"{name}=={version} ({'absent' if listed.get(name) is None else listed[name]})"
        for name, version in sorted(pinned.items())
        if listed.get(name) != version
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    sbom = generate(args.output)
    problems = unlisted(sbom, pins())
    if problems:
        sys.exit(
            "the SBOM does not match requirements/constraints.txt:\n  " + "\n  ".join(problems)
        )
    root = sbom["metadata"]["component"]
    print(
        f"{args.output}: CycloneDX {sbom['specVersion']}, {root['name']} {root['version']}, "
        f"{len(sbom['components'])} components, every pin of {CONSTRAINTS.name} at its version"
    )


if __name__ == "__main__":
    main()
