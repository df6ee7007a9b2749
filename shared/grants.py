"""What the services' own database role may do, granted by the migration job (the owner).

The services connect as a role that does not own the tables and cannot bypass row-level
security, so PostgreSQL itself keeps each council's rows to that council. It may read and
write every table, except the audit trail, which it may only append to and read.

Before granting anything, the role is refused when it could escape the policies: when it is
the tables' owner, a superuser or has BYPASSRLS, and when it is a member (directly or through
other roles) of a role that is one of those: a member inherits the owner's rights (PostgreSQL
treats it as the owner, which row-level security does not bind unless forced) and may
``SET ROLE`` to it, or to a superuser, whatever its own attributes. The tables also force
row-level security (each service's ``*_force_row_level_security.sql``), so the policies bind
even the owner: the migrations act for every council (``shared.migrations``).
"""

from __future__ import annotations

from shared.db import Connection

APPEND_ONLY = ("audit_log",)

# Roles row-level security does not bind, or that can undo it: the owners of the tables (and
# the migrations' own role, their owner to be), superusers and roles with BYPASSRLS.
_UNBOUND_ROLES = """
    SELECT r.oid, r.rolname FROM pg_roles r
    WHERE r.rolname = current_user OR r.rolsuper OR r.rolbypassrls
       OR r.oid IN (SELECT c.relowner FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p'))"""

# The chain of memberships from the services' role ($1) up to each unbound role it belongs
# to: what the error names. (pg_has_role also counts the database owner's implicit membership
# of pg_database_owner, which pg_auth_members does not list: that chain is the one step.)
_MEMBERSHIP_PATHS = f"""
    WITH RECURSIVE unbound AS ({_UNBOUND_ROLES}),
    up(roleid, path) AS (
        SELECT m.roleid, ARRAY[$1::text, r.rolname::text]
        FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
        WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1)
        UNION
        SELECT m.roleid, up.path || r.rolname::text
        FROM up JOIN pg_auth_members m ON m.member = up.roleid
        JOIN pg_roles r ON r.oid = m.roleid
        WHERE r.rolname <> ALL (up.path)
    )
    SELECT u.rolname::text AS role,
           coalesce((SELECT up.path FROM up WHERE up.roleid = u.oid
                     ORDER BY cardinality(up.path) LIMIT 1),
                    ARRAY[$1::text, u.rolname::text]) AS path
    FROM unbound u
    WHERE u.rolname <> $1 AND pg_has_role($1, u.oid, 'MEMBER')
    ORDER BY u.rolname"""


async def grant_service_role(conn: Connection, role: str) -> None:
    """Grant ``role`` what a service needs on the current database, after the migrations;
    ``PermissionError`` (nothing granted) when ``role`` could escape row-level security."""
    exists = await conn.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", role)
    if not exists:
        raise LookupError(
            f"database role {role!r} (the user of the service's database URL) does not exist: "
            "create it (LOGIN, not the tables' owner, no BYPASSRLS), then migrate again"
        )
    if role == await conn.fetchval("SELECT current_user"):
        raise PermissionError(
            f"the services connect as {role!r}, the tables' owner: row-level security does not "
            "bind an owner, so give the services a role of their own"
        )
    bypasses = await conn.fetchval(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = $1", role
    )
    if bypasses:
        raise PermissionError(
            f"database role {role!r} is a superuser or bypasses row-level security: the "
            "services must connect as a role that does neither"
        )
    await refuse_membership_of_unbound_roles(conn, role)
    name = quote_ident(role)
    database = quote_ident(await conn.fetchval("SELECT current_database()"))
    await conn.execute(
        f"""GRANT CONNECT ON DATABASE {database} TO {name};
            GRANT USAGE ON SCHEMA public TO {name};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name};
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name};
            REVOKE ALL ON schema_migrations FROM {name};"""  # identifiers quoted
    )
    for table in APPEND_ONLY:
        if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table):
            await conn.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {name}")


async def refuse_membership_of_unbound_roles(conn: Connection, role: str) -> None:
    """``PermissionError`` naming each chain of role memberships by which ``role`` belongs to
    the tables' owner, a superuser or a BYPASSRLS role."""
    paths = await conn.fetch(_MEMBERSHIP_PATHS, role)
    if paths:
        chains = "; ".join(" -> ".join(row["path"]) for row in paths)
        raise PermissionError(
            f"database role {role!r} is a member of {', '.join(r['role'] for r in paths)} "
            f"({chains}), which owns the tables, is a superuser or bypasses row-level "
            "security: a member acts with that role's rights (and may SET ROLE to it), so "
            f"row-level security would not keep it to its councils. Revoke the membership "
            f"(REVOKE <role> FROM {quote_ident(role)}), then migrate again"
        )


def quote_ident(identifier: str) -> str:
    """An SQL identifier, quoted (roles and databases cannot be query parameters)."""
    return '"' + identifier.replace('"', '""') + '"'
