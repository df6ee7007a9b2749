"""``SEND_PG_PORT`` moves the tests' local PostgreSQL server (as ``deploy/local/postgres.sh``
and ``deploy/compose.yaml`` do), ``SEND_PG_DURABLE_PORT`` the durable one, ``SEND_PG_CLUSTER``
chooses between them, and every service's settings follow."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from notifications.config import NotificationsSettings
from plans.config import PlansSettings
from referrals.config import ReferralsSettings
from specialists.config import SpecialistsSettings
from web.config import WebSettings

from shared.services import (
    LOCAL_DURABLE_POSTGRES_PORT,
    LOCAL_POSTGRES_PORT,
    SERVICES,
    local_postgres_url,
)
from shared.settings import ServiceSettings

SETTINGS: list[type[ServiceSettings]] = [
    ReferralsSettings,
    PlansSettings,
    SpecialistsSettings,
    NotificationsSettings,
    WebSettings,
]


def test_the_local_server_is_on_send_pg_port_else_the_default() -> None:
    assert urlsplit(local_postgres_url({"SEND_PG_PORT": "6543"})).port == 6543
    assert urlsplit(local_postgres_url({})).port == LOCAL_POSTGRES_PORT
    assert urlsplit(local_postgres_url({"SEND_PG_PORT": ""})).port == LOCAL_POSTGRES_PORT


def test_the_durable_cluster_is_on_its_own_port() -> None:
    assert LOCAL_DURABLE_POSTGRES_PORT != LOCAL_POSTGRES_PORT
    assert urlsplit(local_postgres_url({}, durable=True)).port == LOCAL_DURABLE_POSTGRES_PORT
    moved = {"SEND_PG_PORT": "6543", "SEND_PG_DURABLE_PORT": "6544"}
    assert urlsplit(local_postgres_url(moved, durable=True)).port == 6544
    assert urlsplit(local_postgres_url(moved, durable=False)).port == 6543


def test_send_pg_cluster_durable_points_everything_at_the_durable_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What `make run` sets: its migrations and its services use the durable cluster."""
    monkeypatch.setenv("SEND_PG_CLUSTER", "durable")
    monkeypatch.setenv("SEND_PG_DURABLE_PORT", "6544")
    for service in SERVICES.values():
        monkeypatch.delenv(service.database_url_variable, raising=False)
        monkeypatch.delenv(service.migrations_database_url_variable, raising=False)
        assert urlsplit(service.database_url()).port == 6544
        assert urlsplit(service.migrations_database_url()).port == 6544
    monkeypatch.setenv("SEND_PG_CLUSTER", "tests")
    monkeypatch.delenv("SEND_PG_PORT", raising=False)
    assert urlsplit(local_postgres_url()).port == LOCAL_POSTGRES_PORT


def test_an_unknown_send_pg_cluster_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValueError, match=r"SEND_PG_CLUSTER is 'durabel'.*tests, durable"):
        local_postgres_url({"SEND_PG_CLUSTER": "durabel"})


@pytest.mark.parametrize("settings_class", SETTINGS, ids=lambda c: c.service.name)
def test_every_services_settings_honour_send_pg_port(
    monkeypatch: pytest.MonkeyPatch, settings_class: type[ServiceSettings]
) -> None:
    service = settings_class.service
    for variable in (service.database_url_variable, service.migrations_database_url_variable):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SEND_PG_PORT", "6543")

    url = urlsplit(settings_class().database_url)
    assert (url.port, url.path, url.username) == (6543, f"/{service.name}", "send_app")
    assert urlsplit(service.migrations_database_url()).port == 6543

    # A URL given for the service wins over the local server's.
    monkeypatch.setenv(service.database_url_variable, "postgresql://u:p@db.internal:5432/x")
    assert urlsplit(settings_class().database_url).port == 5432


def test_every_service_has_its_settings_here() -> None:
    assert {c.service.name for c in SETTINGS} == set(SERVICES)
