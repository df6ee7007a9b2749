"""Varied referrals for the bench, as ``POST /v1/referrals`` takes them: children of Leeds with
NHS test numbers (999...) or none, across needs, requesters, districts and ways to be told."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.events import Sen2Need

LEEDS = "E08000035"
"""The council of every bench referral: the seeded specialists and the bench's caseworker's."""
DISTRICTS = ("LS6", "LS7", "LS11", "LS16")
REQUESTERS = ("parent", "young_person", "school", "health", "social_care")
NEEDS = tuple(Sen2Need)
GIVEN = ("Amara", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isla", "Jay")
FAMILY = ("Ahmed", "Brown", "Clarke", "Dawson", "Evans", "Fischer", "Green", "Hussain")
NHS_TEST_PREFIX = 999_000_000
"""NHS numbers starting 999 are never issued to a person: safe for tests."""


def nhs_test_number(n: int) -> str | None:
    """The ``n``-th NHS test number: 999 and six digits of ``n``, then the Modulus 11 check
    digit; None when no check digit works for that prefix (about one prefix in eleven)."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"{n}: only a million NHS test number prefixes exist")
    digits = str(NHS_TEST_PREFIX + n)
    total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else f"{digits}{check}"


def referral_request(i: int, today: date) -> dict[str, Any]:
    """The ``i``-th bench referral (JSON-ready). One in ten has no NHS number (parents often
    do not know it); one in four families asks for a text message rather than an email."""
    nhs_number = None if i % 10 == 9 else nhs_test_number(i % 1_000_000)
    age = 3 + i % 13
    inward = f"{i % 10}{'ABDEFGHJ'[i % 8]}{'LNPQRSTU'[i // 8 % 8]}"
    child: dict[str, Any] = {
        "given_name": GIVEN[i % len(GIVEN)],
        "family_name": FAMILY[i // len(GIVEN) % len(FAMILY)],
        "date_of_birth": str(date(today.year - age, 1 + i % 12, 1 + i % 28)),
        "postcode": f"{DISTRICTS[i % len(DISTRICTS)]} {inward}",
    }
    if nhs_number is not None:
        child["nhs_number"] = nhs_number
    contact: dict[str, Any] = {"name": f"Parent {i}"}
    if i % 4 == 3:
        contact |= {"phone": f"07700 9{i % 100_000:05d}", "preferred_channel": "sms"}
    else:
        contact["email"] = f"parent{i}@example.org"
    return {
        "local_authority": LEEDS,
        "requested_by": REQUESTERS[i % len(REQUESTERS)],
        "primary_need": NEEDS[i % len(NEEDS)].value,
        "child": child,
        "family_contact": contact,
    }
