"""The identities the development identity provider (``devtools.dev_identity``) knows.

FOR DEVELOPMENT AND TESTS ONLY. The passwords and secrets below are published in this file;
nothing they sign in to may ever hold real children's data.

Two councils, so that tests can show one council's staff never acting for the other: staff of
each (a caseworker, a manager, an auditor) sign in with a password, and partner systems (NHS
services sending referrals) with a client id and secret. Identities are ids and roles only: a
token carries no one's name.
"""

from __future__ import annotations

from dataclasses import dataclass

LEEDS = "E08000035"
"""ONS code of Leeds City Council."""
BRADFORD = "E08000032"
"""ONS code of City of Bradford Metropolitan District Council."""

DEV_PASSWORD = "dev"  # noqa: S105  # published on purpose: development accounts only
DEV_CLIENT_SECRET = "dev-secret"  # noqa: S105  # published on purpose: development clients only


@dataclass(frozen=True)
class StaffUser:
    """A council's member of staff, signing in with the password grant."""

    username: str
    roles: tuple[str, ...]
    local_authorities: tuple[str, ...]


@dataclass(frozen=True)
class PartnerClient:
    """A partner system (e.g. an NHS service), signing in with client credentials."""

    client_id: str
    client_secret: str
    roles: tuple[str, ...]
    local_authorities: tuple[str, ...]


def _staff_of(council: str, code: str) -> list[StaffUser]:
    return [
        StaffUser(f"{council}-{role}", (role,), (code,))
        for role in ("caseworker", "manager", "auditor")
    ]


STAFF: dict[str, StaffUser] = {
    user.username: user for user in (*_staff_of("leeds", LEEDS), *_staff_of("bradford", BRADFORD))
}
"""Seeded staff by username; every one's password is ``DEV_PASSWORD``."""

PARTNERS: dict[str, PartnerClient] = {
    client.client_id: client
    for client in (
        PartnerClient("leeds-community-paediatrics", DEV_CLIENT_SECRET, ("partner",), (LEEDS,)),
        PartnerClient("west-yorkshire-slt", DEV_CLIENT_SECRET, ("partner",), (LEEDS, BRADFORD)),
    )
}
"""Seeded partner clients by client id."""
