"""deploy/compose.yaml's PostgreSQL gets the roles the local URLs of ``shared.services`` log in
as, and no list of databases of its own (``make migrate`` creates them from the registry)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scripts.platform import REPO_ROOT
from shared.services import SERVICES

COMPOSE = REPO_ROOT / "deploy" / "compose.yaml"
INIT_SQL = REPO_ROOT / "deploy" / "compose" / "init-roles.sql"


def _statements() -> list[str]:
    text = "\n".join(
        line for line in INIT_SQL.read_text().splitlines() if not line.startswith("--")
    )
    return [s.strip() for s in text.split(";") if s.strip()]


def _roles() -> dict[str, tuple[str, set[str]]]:
    """Each role the file creates: its password and its attributes."""
    found = {}
    for statement in _statements():
        if statement.startswith("GRANT "):
            continue
        match = re.fullmatch(r"CREATE ROLE (\w+) WITH ((?:\w+ )+)PASSWORD '([^']*)'", statement)
        assert match, f"not a CREATE ROLE: {statement}"
        found[match[1]] = (match[3], set(match[2].split()))
    return found


def test_compose_creates_the_roles_the_local_urls_log_in_as_and_no_databases() -> None:
    empty: dict[str, str] = {}  # no *_DATABASE_URL: the local server's URLs
    owners = {urlsplit(s.migrations_database_url(empty)) for s in SERVICES.values()}
    services = {urlsplit(s.database_url(empty)) for s in SERVICES.values()}
    roles = _roles()
    for url in owners | services:
        assert url.username in roles, url.username
        assert roles[str(url.username)][0] == url.password
    for url in owners:  # the tables' owner creates the databases (make migrate); the tests'
        # throwaway roles (tests/integration/test_row_level_security_forced.py)
        assert {"LOGIN", "CREATEDB", "CREATEROLE"} <= roles[str(url.username)][1]
    for url in services:  # row-level security must bind the services' role
        attributes = roles[str(url.username)][1]
        assert {"LOGIN", "NOSUPERUSER", "NOBYPASSRLS", "NOCREATEDB"} <= attributes
    assert not any("DATABASE" in s.upper() for s in _statements())
    # The owner may end the services' sessions: tests drop databases WITH (FORCE).
    owner = {str(url.username) for url in owners}
    assert {f"GRANT pg_signal_backend TO {name}" for name in owner} <= set(_statements())


def test_compose_runs_that_file_on_a_new_volume() -> None:
    assert "- ./compose/init-roles.sql:/docker-entrypoint-initdb.d/" in COMPOSE.read_text()
    assert (COMPOSE.parent / "compose" / "init-roles.sql").resolve() == INIT_SQL
