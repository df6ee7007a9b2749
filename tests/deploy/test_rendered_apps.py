"""Each service's app, built from exactly what a rendering of the chart gives its pods (the
default values with the councils a release must name, the production example, every option
on): Secrets by stand-ins, mounted files by test files, nothing else from this process. A
setting the chart gets wrong (a storage whose client is not installed, a file the settings
cannot read, a value production refuses) stops the build here rather than crash-looping a
council's pods."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

from shared.services import SERVICES
from shared.state import app_state, service_state
from shared.telemetry import setup_tracing, tracer_provider
from tests.deploy.conftest import EVERYTHING, PRODUCTION_VALUES, Rendered, RenderFn
from tests.deploy.pod_environment import FULLNAME, pod_environment
from tests.logging_state import restored_logging

NOTICES = "councilNotices.E08000035."
COUNCILS = {
    "councils[0].name": "Leeds City Council",
    "councils[0].code": "E08000035",
    f"{NOTICES}name": "Leeds City Council",
    **{f"{NOTICES}{contact}.name": contact for contact in
       ("send_team", "mediation_adviser", "disagreement_resolution", "sendiass")},
    **{f"{NOTICES}{contact}.phone": "0113 000 0000" for contact in
       ("send_team", "mediation_adviser", "disagreement_resolution", "sendiass")},
    f"{NOTICES}local_offer": "https://localoffer.leeds.example.gov.uk/",
}  # fmt: skip
"""What a release must name and the default values do not (each service refuses to start
without it: tests/deploy/test_chart_contents.py)."""


@pytest.fixture(scope="module")
def renderings(render: RenderFn) -> dict[str, Rendered]:
    return {
        "default": render(set=COUNCILS),
        "production": render(PRODUCTION_VALUES),
        "everything": render(set={**EVERYTHING, **COUNCILS}),
    }


def _deployed(rendered: Rendered) -> dict[str, str]:
    """Each Deployment of a service (its own, and a process apart: services.<name>.processes),
    by its name after the release's, and the service it runs (its container's)."""
    found = {}
    for owner in rendered.kind("Deployment"):
        (container, *_) = owner["spec"]["template"]["spec"]["containers"]
        if container["name"] in SERVICES:
            found[owner["metadata"]["name"].removeprefix(f"{FULLNAME}-")] = container["name"]
    return found


@pytest.mark.parametrize("which", ["default", "production", "everything"])
def test_every_service_builds_its_app_from_what_the_chart_gives_its_pods(
    which: str,
    renderings: dict[str, Rendered],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rendered = renderings[which]
    deployed = _deployed(rendered)
    assert set(deployed.values()) == set(SERVICES)
    if which == "production":  # notifications' sender apart
        assert deployed.keys() - SERVICES.keys() == {"notifications-sender"}
    # The process-wide tracer provider is installed once, without an exporter: the services'
    # own (with the rendered OTLP endpoint) is built and shut down below, never left to send
    # later tests' spans to an address that exists only in a cluster.
    for name in [n for n in os.environ if n.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    setup_tracing("tests")
    failures = {}
    for deployment, service in deployed.items():
        environment = pod_environment(rendered, deployment, tmp_path / deployment)
        with monkeypatch.context() as patched, restored_logging():
            patched.delenv("SEND_ENVIRONMENT", raising=False)  # as in the pod: production
            for name, value in environment.items():
                patched.setenv(name, value)
            try:
                app = importlib.import_module(f"{SERVICES[service].package}.app").create_app()
                provider = tracer_provider(service)
                provider.shutdown()
            except Exception as error:  # every service's failure, reported at once
                failures[deployment] = f"{type(error).__name__}: {error}"
                continue
            assert app_state(app).operations.registry is not None
            if "PROCESS_PARTS" in environment:  # the parts the chart gives it, and no others
                parts = set(environment["PROCESS_PARTS"].split(","))
                assert service_state(app).settings.process_parts == parts - {""}, deployment
    assert failures == {}
