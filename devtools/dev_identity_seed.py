"""The identities the development identity provider (``devtools.dev_identity``) knows.

FOR DEVELOPMENT AND TESTS ONLY. The passwords and secrets below are published in this file;
nothing they sign in to may ever hold real children's data.

Two councils, so that tests can show one council's staff never acting for the other: staff of
each (a caseworker, a manager, an auditor) sign in with a password, and partner systems (NHS
services sending referrals) with a client id and secret. People outside the council sign in
with a password too, each scoped by a claim: two Leeds schools' SENCos (``school_urns``) and
practitioners of three registry entries of the seed registry (``registry_entry``), so that
tests can show one school or team never seeing another's children. Identities are ids and
roles only: a token carries no one's name.
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
    """A council's member of staff (or a school's SENCo, a specialist team's practitioner),
    signing in with the password grant."""

    username: str
    roles: tuple[str, ...]
    local_authorities: tuple[str, ...]
    school_urns: tuple[str, ...] = ()
    """A SENCo's schools (the ``school_urns`` claim)."""
    registry_entry: str | None = None
    """A practitioner's specialists registry entry (the ``registry_entry`` claim)."""

    def scope_claims(self) -> dict[str, object]:
        """The claims scoping what they may see within their councils, if any."""
        claims: dict[str, object] = {}
        if self.school_urns:
            claims["school_urns"] = list(self.school_urns)
        if self.registry_entry is not None:
            claims["registry_entry"] = self.registry_entry
        return claims


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


LEEDS_SCHOOL_URN = "107958"
"""A Leeds school (its URN), which the seed registry's Leeds North SLT team visits."""
OTHER_LEEDS_SCHOOL_URN = "107960"
LEEDS_NORTH_SLT = "5b1c0c4e-0000-4000-8000-000000000001"
"""Registry entries of ``specialists/seed_registry.csv``."""
LEEDS_SOUTH_SLT = "5b1c0c4e-0000-4000-8000-000000000002"
BRADFORD_SLT = "5b1c0c4e-0000-4000-8000-000000000006"

OUTSIDE_THE_COUNCIL = (
    StaffUser("leeds-senco", ("school",), (LEEDS,), school_urns=(LEEDS_SCHOOL_URN,)),
    StaffUser("leeds-senco-2", ("school",), (LEEDS,), school_urns=(OTHER_LEEDS_SCHOOL_URN,)),
    StaffUser("leeds-slt", ("specialist",), (LEEDS,), registry_entry=LEEDS_NORTH_SLT),
    StaffUser("leeds-slt-south", ("specialist",), (LEEDS,), registry_entry=LEEDS_SOUTH_SLT),
    StaffUser("bradford-slt", ("specialist",), (BRADFORD,), registry_entry=BRADFORD_SLT),
)

STAFF: dict[str, StaffUser] = {
    user.username: user
    for user in (
        *_staff_of("leeds", LEEDS),
        *_staff_of("bradford", BRADFORD),
        *OUTSIDE_THE_COUNCIL,
    )
}
"""Seeded people by username (staff, SENCos, practitioners); every one's password is
``DEV_PASSWORD``."""

PARTNERS: dict[str, PartnerClient] = {
    client.client_id: client
    for client in (
        PartnerClient("leeds-community-paediatrics", DEV_CLIENT_SECRET, ("partner",), (LEEDS,)),
        PartnerClient("west-yorkshire-slt", DEV_CLIENT_SECRET, ("partner",), (LEEDS, BRADFORD)),
    )
}
"""Seeded partner clients by client id."""
