"""The one registry of the platform's services: name, HTTP port, database and import package.

The Makefile, the launcher, the migration runner, the settings and the AsyncAPI generator all
read this list; a new service is added here and nowhere else.

    python -m shared.services          # the names, one a line (for shell scripts)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

LOCAL_POSTGRES_USER = "send"  # owns the tables; migrations run as it
LOCAL_SERVICE_USER = "send_app"  # what the services connect as: row-level security applies
LOCAL_POSTGRES_HOST = "127.0.0.1"
LOCAL_POSTGRES_PORT = 55432
"""The tests' local cluster: fsync, synchronous_commit and full_page_writes off."""
LOCAL_DURABLE_POSTGRES_PORT = 55433
"""The durable local cluster (`make run`, bench, soak): all three on, as in production."""
LOCAL_CLUSTERS = ("tests", "durable")


@dataclass(frozen=True)
class Service:
    """One deployable service."""

    name: str
    port: int
    """Default HTTP port for local runs (`make run`); a deployment chooses its own."""
    title: str
    description: str
    events: bool = True
    """Whether it meets the others on Kafka (consumes or publishes events). The workspace
    (``web``) does not: it calls the services' APIs for the person signed in."""

    @property
    def package(self) -> str:
        """The import package (``services/<name>/<name>/``)."""
        return self.name

    @property
    def database_url_variable(self) -> str:
        """The environment variable holding the URL the service connects with: a role that
        does not own the tables, so row-level security keeps each council's rows apart."""
        return f"{self.name.upper()}_DATABASE_URL"

    @property
    def migrations_database_url_variable(self) -> str:
        """The environment variable holding the URL migrations run with: the tables' owner."""
        return f"{self.name.upper()}_MIGRATIONS_DATABASE_URL"

    def database_url(self, environ: Mapping[str, str] | None = None) -> str:
        """The service's database URL: its variable, else the local server's database."""
        env = os.environ if environ is None else environ
        local = local_postgres_url(env, user=LOCAL_SERVICE_USER)
        return env.get(self.database_url_variable) or f"{local}/{self.name}"

    def migrations_database_url(self, environ: Mapping[str, str] | None = None) -> str:
        """The owner's URL for migrations: its variable, else the local server's database."""
        env = os.environ if environ is None else environ
        local = local_postgres_url(env)
        return env.get(self.migrations_database_url_variable) or f"{local}/{self.name}"


def local_postgres_url(
    environ: Mapping[str, str] | None = None,
    *,
    user: str = LOCAL_POSTGRES_USER,
    durable: bool | None = None,
) -> str:
    """A local PostgreSQL cluster `make up` starts, without a database name, as ``user``
    (whose password, locally, is its name).

    There are two (``deploy/local/postgres.sh``): the tests' cluster, fast because it does not
    make commits durable, on ``SEND_PG_PORT``; and the durable one that `make run`, the bench
    and the soak use, on ``SEND_PG_DURABLE_PORT``. ``durable`` chooses; left out, it is the
    durable one when ``SEND_PG_CLUSTER`` is ``durable`` (what the Makefile sets for `make run`).
    """
    env = os.environ if environ is None else environ
    if durable is None:
        durable = local_cluster(env) == "durable"
    if durable:
        port = env.get("SEND_PG_DURABLE_PORT") or LOCAL_DURABLE_POSTGRES_PORT
    else:
        port = env.get("SEND_PG_PORT") or LOCAL_POSTGRES_PORT
    return f"postgresql://{user}:{user}@{LOCAL_POSTGRES_HOST}:{port}"


def local_cluster(environ: Mapping[str, str]) -> str:
    """``SEND_PG_CLUSTER``: ``tests`` (the default) or ``durable``, as ``postgres.sh`` names
    them; anything else is refused rather than read as one of them."""
    cluster = environ.get("SEND_PG_CLUSTER") or "tests"
    if cluster not in LOCAL_CLUSTERS:
        raise ValueError(
            f"SEND_PG_CLUSTER is {cluster!r}: it names a local PostgreSQL cluster, "
            f"one of {', '.join(LOCAL_CLUSTERS)}"
        )
    return cluster


def with_user(url: str, user: str, password: str) -> str:
    """``url`` with other credentials (tests point the services at databases they made)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(user)}:{quote(password)}@{host}"))


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service(
            "referrals",
            8001,
            "SEND referrals",
            "Takes in requests for support and shows where each one stands.",
        ),
        Service(
            "plans",
            8002,
            "SEND support plans",
            "Drafts each child's personal support plan against the national standards.",
        ),
        Service(
            "specialists",
            8003,
            "SEND specialists",
            "Matches each drafted plan to a specialist close to home, or waitlists it.",
        ),
        Service(
            "notifications",
            8004,
            "SEND notifications",
            "Tells families what happened and where to look.",
        ),
        Service(
            "web",
            8005,
            "SEND workspace",
            "Pages for caseworkers, managers, auditors and families, over the services' APIs.",
            events=False,
        ),
    )
}

EVENT_SERVICES: dict[str, Service] = {name: s for name, s in SERVICES.items() if s.events}
"""The services that meet on Kafka: each has topics, consumer groups and an AsyncAPI document."""


def main() -> None:
    print("\n".join(SERVICES))


if __name__ == "__main__":
    main()
