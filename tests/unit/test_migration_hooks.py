"""A service's reference data reaches the migrations runner as a hook its own package declares
(``data_import``), not as a module path written in ``shared``: nothing in ``shared`` names a
service's module to import."""

from __future__ import annotations

import re

from plans.catalogue_store import import_catalogues

from scripts.platform import REPO_ROOT
from shared.migrations import data_import_of
from shared.services import SERVICES

_SERVICE = "|".join(SERVICES)
_MODULE_PATH = re.compile(  # "plans.catalogue_store:import_catalogues", import_module("plans.x")
    rf"[\"']({_SERVICE})\.[a-z_.]+:[a-z_]+[\"']|import_module\(\s*[\"']({_SERVICE})\b"
)


def test_plans_declares_its_catalogue_import_and_the_others_none() -> None:
    assert data_import_of("plans") is import_catalogues
    assert {s for s in SERVICES if data_import_of(s) is not None} == {"plans"}
    assert data_import_of("a-test-component") is None


def test_shared_names_no_service_module_to_import() -> None:
    named = [
        f"{path.relative_to(REPO_ROOT)}: {match.group(0)}"
        for path in sorted((REPO_ROOT / "shared").rglob("*.py"))
        for match in _MODULE_PATH.finditer(path.read_text())
    ]
    assert named == []
