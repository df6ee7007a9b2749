"""Development mode, and what a service refuses to start with outside it.

Many settings default to what suits a developer's machine: the development identity provider
(plain HTTP), the family-link key written in this repository, the development partners and
councils, the local database's published passwords, API docs on, messages to a log. Anyone
who reads the repository knows them, so a real deployment running with one of them is open:
a family link forged with the published key opens a real child's plan.

One switch says where a service runs: ``SEND_ENVIRONMENT=development``, set by ``make run``,
the tests and the bench (``scripts.platform``, ``tests/conftest.py``) and never by the image
or the Helm chart. Without it a service is in production (safe by default), and refuses to
start, naming every setting at fault, when any development default is left unset, when the
family-link key is shorter than ``MIN_KEY_BYTES`` or the published one, when the
identity provider or a link it sends out is not HTTPS, or when it would connect to its
database with a published password (each service adds its own: ``unsafe_settings``).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from shared.services import LOCAL_POSTGRES_USER, LOCAL_SERVICE_USER

DEVELOPMENT = "development"
Environment = Literal["development", "production"]

DEVELOPMENT_FAMILY_LINK_KEY = "development-only-family-link-key-change-me"
"""The default ``FAMILY_LINK_KEY``: published here, so never a real one."""

MIN_KEY_BYTES = 32
"""The least a secret key (the family-link key, each workspace session key) may have."""

PUBLISHED_PASSWORDS = frozenset({LOCAL_POSTGRES_USER, LOCAL_SERVICE_USER})
"""The local database roles' passwords (each its role's name: ``shared.services``,
``deploy/local/postgres.sh``, ``deploy/compose/init-roles.sql``)."""


class UnsafeOutsideDevelopment(ValueError):
    """Settings a service must not start with outside development: each with why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "refusing to start outside development (SEND_ENVIRONMENT is not 'development'): "
            + "; ".join(problems)
            + ". Set each one for this deployment (docs/configuration.md); "
            "SEND_ENVIRONMENT=development is for a developer's machine only"
        )


def is_https(url: str) -> bool:
    """Whether ``url`` is an https:// URL with a host."""
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname)


def has_published_password(database_url: str) -> bool:
    """Whether ``database_url`` logs in with one of the local roles' published passwords."""
    try:
        password = urlsplit(database_url).password
    except ValueError:
        return False  # not a URL asyncpg would read either: the pool says so at first use
    return password in PUBLISHED_PASSWORDS


def family_link_key_problem(key: str) -> str | None:
    """Why ``key`` cannot sign real families' links, or None."""
    if key == DEVELOPMENT_FAMILY_LINK_KEY:
        return "FAMILY_LINK_KEY is the development key published in the repository"
    if len(key.encode()) < MIN_KEY_BYTES:
        return (
            f"FAMILY_LINK_KEY is shorter than {MIN_KEY_BYTES} bytes "
            "(e.g. `openssl rand -base64 48`)"
        )
    return None
