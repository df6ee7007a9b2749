"""The chart's ``databasePool`` sizes each pod's two pools (issue #25): the HTTP routes' on every
service and the workspace, the pipeline's on the event services only (the workspace has no
consumers), and each service's settings read them; ``httpInFlight`` reaches the workspace too."""

from __future__ import annotations

from shared.services import SERVICES
from shared.settings import ServiceSettings
from tests.deploy.conftest import RenderFn
from tests.deploy.pod_environment import service_environment


def test_the_chart_sizes_each_pods_pools_and_bounds_the_workspace_too(render: RenderFn) -> None:
    rendered = render(
        set={"databasePool.http": "3", "databasePool.pipeline": "7", "httpInFlight": "40"}
    )
    environments = {service: service_environment(rendered, service) for service in SERVICES}

    for service, environment in environments.items():
        assert environment["DB_POOL_MAX_SIZE"] == "3", service
        assert environment["HTTP_IN_FLIGHT"] == "40", service
        expected = None if service == "web" else "7"
        assert environment.get("CONSUMER_DB_POOL_MAX_SIZE") == expected, service


def test_the_default_pools_are_the_services_own_defaults(render: RenderFn) -> None:
    environment = service_environment(render(), "referrals")
    for variable in ("DB_POOL_MAX_SIZE", "CONSUMER_DB_POOL_MAX_SIZE"):
        default = ServiceSettings.model_fields[variable.lower()].default
        assert environment[variable] == str(default), variable
