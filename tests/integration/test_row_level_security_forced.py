"""Row-level security cannot be escaped through the tables' owner (real PostgreSQL): every
table with a council column, in every service, forces it (found from the catalog, so a new
table without it fails here), a role that is a member of the owner sees no council it does not
act for, and the migrations refuse to grant a services' role that is such a member, naming the
chain of memberships. Throwaway roles, made and dropped here (the local ``send`` role has
CREATEROLE for it: deploy/local/postgres.sh)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from scripts.platform import migrations_of
from shared.grants import grant_service_role, quote_ident
from shared.migrations import owner_connection
from shared.services import SERVICES
from tests.conftest import RUN_ID, Databases

LEEDS = "E08000035"
COUNCIL_COLUMNS = ("local_authority", "councils")

_TABLES = """
    SELECT c.relname::text AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
           EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND NOT a.attisdropped
                   AND a.attname = ANY ($1::text[])) AS has_council
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
    ORDER BY 1"""


@pytest.fixture(scope="module")
async def service_databases(databases: Databases) -> dict[str, str]:
    return await databases.fresh_for_services("rls-forced")


async def test_every_table_with_a_council_column_forces_row_level_security_in_every_service(
    service_databases: dict[str, str],
) -> None:
    unforced: list[str] = []
    for service, url in service_databases.items():
        conn = await owner_connection(url)
        try:
            tables = await conn.fetch(_TABLES, list(COUNCIL_COLUMNS))
        finally:
            await conn.close()
        councils = [t["name"] for t in tables if t["has_council"]]
        if SERVICES[service].events:  # the workspace keeps no children's records
            assert "audit_log" in councils, service  # the catalog query finds them
        unforced += [
            f"{service}.{t['name']}"
            for t in tables
            if (t["has_council"] or t["enabled"]) and not (t["enabled"] and t["forced"])
        ]
    assert unforced == [], "ALTER TABLE <table> FORCE ROW LEVEL SECURITY in a migration"
    assert set(service_databases) == set(SERVICES)


@dataclass(frozen=True)
class Roles:
    """Throwaway roles: ``owner`` will own a table; ``direct`` is a member of it, ``chained``
    a member of ``middle``, which is a member of it."""

    owner: str
    middle: str
    direct: str
    chained: str


@pytest.fixture(scope="module")
async def member_database(databases: Databases) -> AsyncIterator[tuple[str, Roles]]:
    """A fresh referrals database whose audit trail (holding one Leeds row) is owned by a
    throwaway role, with throwaway members of that role; all dropped afterwards."""
    url = await databases.fresh("rls-members", "referrals", migrations_of("referrals"))
    roles = Roles(*(f"t{RUN_ID}_{n}" for n in ("owner", "middle", "direct", "chained")))
    owner = await owner_connection(url)
    try:
        try:
            await owner.execute(f"CREATE ROLE {quote_ident(roles.owner)} NOLOGIN")
        except asyncpg.InsufficientPrivilegeError:
            pytest.fail(
                "the tests' database role cannot create roles: give it CREATEROLE (`make up` "
                "does, deploy/local/postgres.sh)",
                pytrace=False,
            )
        for name in (roles.middle, roles.direct, roles.chained):
            await owner.execute(f"CREATE ROLE {quote_ident(name)} NOLOGIN")
        o, m, d, c = (
            quote_ident(r) for r in (roles.owner, roles.middle, roles.direct, roles.chained)
        )
        await owner.execute(
            f"""GRANT {o} TO {d}; GRANT {o} TO {m}; GRANT {m} TO {c};
                GRANT {o} TO current_user; GRANT {d} TO current_user;
                INSERT INTO audit_log (actor, roles, local_authority, action, resource)
                    VALUES ('someone', '{{caseworker}}', '{LEEDS}', 'read', 'referral');
                GRANT CREATE ON SCHEMA public TO {o};
                ALTER TABLE audit_log OWNER TO {o};"""
        )
        yield url, roles
    finally:
        await owner.close()
        admin = await asyncpg.connect(f"{databases.postgres_url}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
            for name in (roles.chained, roles.direct, roles.middle, roles.owner):
                await admin.execute(f"DROP ROLE IF EXISTS {quote_ident(name)}")
        finally:
            await admin.close()


async def test_a_member_of_the_tables_owner_sees_no_council_it_does_not_act_for(
    member_database: tuple[str, Roles],
) -> None:
    url, roles = member_database
    conn = await asyncpg.connect(url)  # acting for no council
    try:
        await conn.execute(f"SET ROLE {quote_ident(roles.direct)}")
        assert await conn.fetchval("SELECT count(*) FROM audit_log") == 0
        await conn.execute(f"SET ROLE {quote_ident(roles.owner)}")  # the owner itself, too
        assert await conn.fetchval("SELECT count(*) FROM audit_log") == 0
        await conn.execute("SELECT set_config('send.local_authorities', $1, false)", LEEDS)
        assert await conn.fetchval("SELECT count(*) FROM audit_log") == 1
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("member", "chain"),
    [("direct", ["direct", "owner"]), ("chained", ["chained", "middle", "owner"])],
)
async def test_migrations_refuse_a_services_role_that_is_a_member_of_the_tables_owner(
    member_database: tuple[str, Roles], member: str, chain: list[str]
) -> None:
    url, roles = member_database
    role = getattr(roles, member)
    conn = await owner_connection(url)
    try:
        with pytest.raises(PermissionError) as refused:
            await grant_service_role(conn, role)
        granted = await conn.fetchval("SELECT has_table_privilege($1, 'referrals', 'SELECT')", role)
    finally:
        await conn.close()
    assert " -> ".join(getattr(roles, r) for r in chain) in str(refused.value)
    assert f"is a member of {roles.owner}" in str(refused.value)
    assert not granted
