"""What the services' own database role may do, granted by the migration job (the owner).

The services connect as a role that does not own the tables and cannot bypass row-level
security, so PostgreSQL itself keeps each council's rows to that council. It may read and
write every table, except the audit trail, which it may only append to and read.
"""

from __future__ import annotations

from shared.db import Connection

APPEND_ONLY = ("audit_log",)


async def grant_service_role(conn: Connection, role: str) -> None:
    """Grant ``role`` what a service needs on the current database, after the migrations."""
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


def quote_ident(identifier: str) -> str:
    """An SQL identifier, quoted (roles and databases cannot be query parameters)."""
    return '"' + identifier.replace('"', '""') + '"'
