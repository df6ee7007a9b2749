"""The Dockerfile agrees with the chart and its build context suffices (no container engine
here to build it: see docs/kubernetes.md)."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from scripts.platform import REPO_ROOT
from tests.deploy.conftest import Rendered, containers
from tests.integration.test_migrations import _build_isolation_args

DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text()


def _stages() -> list[list[str]]:
    """Instructions of each stage, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    stages: list[list[str]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def _in_context(path: str) -> bool:
    """Whether .dockerignore lets ``path`` into the build context (last matching rule wins)."""
    included = True
    for rule in (REPO_ROOT / ".dockerignore").read_text().splitlines():
        rule = rule.strip()
        if not rule or rule.startswith("#"):
            continue
        negate = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        anywhere = pattern.startswith("**/") and fnmatch.fnmatch(Path(path).name, pattern[3:])
        if anywhere or fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
            included = negate
    return included


def test_the_image_runs_as_the_charts_non_root_user(default: Rendered) -> None:
    final = _stages()[-1]
    (user,) = [i.split()[1] for i in final if i.upper().startswith("USER ")]
    uid, gid = (int(x) for x in user.split(":"))
    assert uid != 0
    assert gid != 0
    (exposed,) = [int(i.split()[1]) for i in final if i.upper().startswith("EXPOSE ")]
    for deploy in default.kind("Deployment"):
        if deploy["metadata"]["name"].endswith("otel-collector"):
            continue
        pod = deploy["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsUser"] == uid
        assert containers(deploy)[0]["ports"][0]["containerPort"] == exposed


def test_the_image_never_runs_development_mode() -> None:
    """Production unless told otherwise: the image sets no SEND_ENVIRONMENT at all."""
    assert "SEND_ENVIRONMENT" not in DOCKERFILE


def test_the_final_stage_installs_only_the_libraries_pdfs_are_drawn_with() -> None:
    """No compiler runs in the final stage: it adds the Debian libraries WeasyPrint draws the
    plans' PDFs with (pango and a font; the package lists removed again), the user, and
    copies the built virtual environment."""
    final = _stages()[-1]
    runs = [i for i in final if i.upper().startswith("RUN ")]
    libraries, user = runs
    installed = re.fullmatch(
        r"RUN apt-get update && apt-get install -y --no-install-recommends ([\w .+-]+) "
        r"&& rm -rf /var/lib/apt/lists/\*",
        " ".join(libraries.split()),
    )
    assert installed, libraries
    assert set(installed[1].split()) == {"libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"}
    assert re.match(r"RUN groupadd .* && useradd ", user), user
    copies = [i for i in final if i.upper().startswith("COPY ")]
    assert copies == ["COPY --from=build /opt/send /opt/send"]


def _build_sources() -> list[str]:
    """What the build stage copies in (``COPY <source> <dest>``)."""
    build = _stages()[0]
    return [i.split()[1].rstrip("/") for i in build if i.upper().startswith("COPY ")]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The files of the wheel the image installs, built from the build context alone (laid
    out as the engine would send it)."""
    tmp_path = tmp_path_factory.mktemp("image")
    sources = _build_sources()
    context = tmp_path / "context"
    for path in REPO_ROOT.rglob("*"):
        relative = path.relative_to(REPO_ROOT).as_posix()
        top = relative.split("/")[0]
        wanted = top in {*sources, "pyproject.toml", "requirements"}
        if path.is_file() and wanted and _in_context(relative):
            (context / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, context / relative)
    assert (context / "requirements" / "constraints.txt").exists()
    assert not list(context.rglob("__pycache__"))
    wheels = tmp_path / "wheels"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps"),
            *_build_isolation_args(),
            *("--wheel-dir", str(wheels), str(context)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = wheels.glob("*.whl")
    return zipfile.ZipFile(wheel).namelist()


def test_the_build_context_holds_what_the_wheel_needs(wheel_names: list[str]) -> None:
    sources = _build_sources()
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    roots = {p.split("/")[0] for p in pyproject["tool"]["setuptools"]["package-dir"].values()}
    assert roots <= set(sources), f"{roots - set(sources)} not copied into the build stage"
    names = wheel_names
    for package in ("shared", "referrals", "plans", "specialists", "notifications"):
        assert f"{package}/app.py" in names or f"{package}/__init__.py" in names
    # Every module of every package, subpackages too (each must be in pyproject's list).
    for package, folder in pyproject["tool"]["setuptools"]["package-dir"].items():
        for module in (REPO_ROOT / folder).rglob("*.py"):
            shipped = f"{package}/{module.relative_to(REPO_ROOT / folder).as_posix()}"
            assert shipped in names, f"{shipped} is not in the wheel: list its package"
    assert any(n.startswith("referrals/migrations/") for n in names)
    # The plan's document (plans prints it), and the workspace's pages: their templates and
    # stylesheets ship inside the packages; govuk-frontend once, in the workspace's.
    for shipped in (
        "plans/templates/plan.html",
        "plans/static/plans/print.css",
        "web/templates/family/plan.html",
        "web/templates/accessibility.html",
        "web/static/govuk-frontend/govuk-frontend.min.css",
        "web/static/govuk-frontend/README.md",
        "web/static/web/web.css",
    ):
        assert shipped in names, shipped
    assert [n for n in names if "govuk-frontend.min.css" in n] == [
        "web/static/govuk-frontend/govuk-frontend.min.css"
    ]


def test_the_image_holds_no_development_fake(wheel_names: list[str]) -> None:
    """The development fakes (``devtools``: the local GOV.UK Notify, ...) stay out of the
    production image: the package is not built into the wheel nor copied into the build, and
    no module of it hides inside a service's package."""
    fakes = {p.name for p in (REPO_ROOT / "devtools").rglob("*.py") if p.name != "__init__.py"}
    assert "local_notify.py" in fakes
    assert "devtools" not in _build_sources()
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert "devtools" not in pyproject["tool"]["setuptools"]["packages"]
    shipped = [n for n in wheel_names if n.startswith("devtools/") or Path(n).name in fakes]
    assert shipped == []


def test_the_image_carries_oci_labels_and_the_sbom_of_its_environment() -> None:
    """What a registry and a scanner read: the OCI annotations (version, the commit, the base,
    the licence) and a CycloneDX SBOM of /opt/send made in the build stage (its generator
    pinned like every package, left behind in that stage)."""
    final = " ".join(" ".join(_stages()[-1]).split())
    for label in ("title", "version", "revision", "source", "licenses", "base.name"):
        assert f"org.opencontainers.image.{label}=" in final, label
    build = " ".join(" ".join(_stages()[0]).split())
    assert "--constraint requirements/constraints.txt cyclonedx-bom" in build
    assert "cyclonedx-py environment" in build
    assert "-o /opt/send/sbom.cdx.json /opt/send/bin/python" in build
    assert "/opt/sbom" not in final  # the generator stays in the build stage
