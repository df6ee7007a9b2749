"""A large council's caseload, straight into the bench's databases: ``count``
referrals of Leeds children in referrals' tables (children, referrals, EHC requests with their
deadlines from referrals' own ``deadline_dates``, a few timeline steps each, and the
specialists projection the caseload filters on: allocations to the seeded registry's entries,
and waits), and each family's contact in notifications.

Half are EHC requests received over the last two years, at the stage their age suggests (a
fifth of the old ones still open, their deadlines missed); the rest support requests. Seven in
ten have a specialist, two in ten wait. Fast: 20,000 referrals in a few seconds, where taking
them in through the API and Kafka would take minutes.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from referrals.intake import name_key
from referrals.statutory import Deadline, Stage, deadline_dates

from scripts.bench.samples import LEEDS, nhs_test_number
from shared.councils import ALL, SETTING

GIVEN = (
    "Aaliyah", "Adam", "Alfie", "Amara", "Amelia", "Aria", "Ava", "Ben", "Chloe", "Dev",
    "Ella", "Emily", "Evie", "Finn", "Freya", "George", "Grace", "Hamza", "Harry", "Isla",
    "Jack", "Jay", "Leo", "Lily", "Maya", "Mia", "Muhammad", "Noah", "Olivia", "Oscar",
    "Poppy", "Rosie", "Siân", "Sofia", "Theo", "Tomasz", "Yusuf", "Zainab", "Zofia", "Zara",
)  # fmt: skip
FAMILY = (
    "Ahmed", "Ali", "Bailey", "Begum", "Brown", "Chen", "Clarke", "Davies", "Dawson", "Evans",
    "Fischer", "Green", "Hall", "Hughes", "Hussain", "Iqbal", "Jackson", "James", "Jones",
    "Khan", "Kowalski", "Lewis", "Mahmood", "Martin", "Mensah", "Miah", "Morgan", "Nguyễn",
    "Nowak", "O\u2019Brien", "Okafor", "Patel", "Phillips", "Rahman", "Roberts", "Robinson", "Shah",
    "Singh", "Smith", "Taylor", "Thomas", "Thompson", "Walker", "Ward", "Watson", "White",
    "Williams", "Wilson", "Wood", "Wright",
)  # fmt: skip
"""Names enough that a name search finds tens of children, not thousands."""

DEADLINES_MET_AT = {  # the stage reached: the deadlines already met
    Stage.REQUESTED: (),
    Stage.ASSESSING: (Deadline.DECISION,),
    Stage.PLAN_TO_BE_ISSUED: (Deadline.DECISION, Deadline.ISSUE_DECISION),
    Stage.FINAL_PLAN_ISSUED: tuple(Deadline),
}


def _stage(age_days: int, rng: random.Random) -> Stage:
    if age_days < 42:
        return Stage.REQUESTED
    if age_days < 112:
        return Stage.ASSESSING
    if age_days < 140 or rng.random() < 0.2:  # some old requests still waiting: missed
        return Stage.PLAN_TO_BE_ISSUED
    return Stage.FINAL_PLAN_ISSUED


def caseload(count: int, teams: list[UUID], today: date, seed: int = 18) -> dict[str, list[Any]]:
    """Rows for each table (referrals' and notifications' ``family_contacts``), as tuples in
    the column order of ``COLUMNS``."""
    rng = random.Random(seed)  # noqa: S311  # sample data, the same each run; no secret
    rows: dict[str, list[Any]] = {table: [] for table in COLUMNS}
    for i in range(count):
        child_id, referral_id = uuid4(), uuid4()
        given, family = GIVEN[i % len(GIVEN)], FAMILY[i // len(GIVEN) % len(FAMILY)]
        if i % 3 == 0:  # double-barrelled
            family = f"{family}-{FAMILY[i // 7 % len(FAMILY)]}"
        born = date(today.year - 3 - i % 14, 1 + i % 12, 1 + i % 28)
        received = today - timedelta(days=rng.randrange(730))
        at = datetime.combine(received, time(10), UTC)
        ehc = i % 2 == 0
        stage = _stage((today - received).days, rng) if ehc else None
        closed = at + timedelta(weeks=20) if stage == Stage.FINAL_PLAN_ISSUED else None
        rows["children"].append(
            (child_id, nhs_test_number(i), given, family, name_key(given, family), born,
             f"LS{6 + i % 4} {i % 10}AB", LEEDS, at)
        )  # fmt: skip
        rows["referrals"].append(
            (referral_id, child_id, LEEDS, "parent", "SLCN", f"LS{6 + i % 4}", received,
             "specialist_assigned", "ehc" if ehc else "support", closed, at, at)
        )  # fmt: skip
        steps = [("referral_received", "referrals"), ("plan_drafted", "plans")]
        if stage is not None:
            rows["ehc_requests"].append(
                (referral_id, LEEDS, received, "parent", False, stage.value, at, at)
            )
            met = DEADLINES_MET_AT[stage]
            for kind, (statutory, due) in deadline_dates(received).items():
                met_on = min(due, today) if kind in met else None
                rows["deadlines"].append((referral_id, kind.value, LEEDS, statutory, due, met_on))
        if i % 10 in (4, 7):  # waiting, EHC requests and support requests alike
            rows["specialist_waits"].append(
                (referral_id, "occupational_therapy", LEEDS, at + timedelta(days=1))
            )
            steps.append(("waitlisted", "specialists"))
        elif i % 10 != 9:
            for n in range(1 + i % 2):
                rows["specialist_allocations"].append(
                    (uuid4(), referral_id, LEEDS, teams[(i + n) % len(teams)],
                     "speech_and_language_therapy", at + timedelta(days=1))
                )  # fmt: skip
            steps.append(("specialist_assigned", "specialists"))
        for n, (step, service) in enumerate(steps):
            rows["timeline"].append((referral_id, uuid4(), step, service, at + timedelta(hours=n)))
        rows["family_contacts"].append(
            (referral_id, f"Parent of {given}", f"parent{i}@example.org", None, "email", LEEDS)
        )
    return rows


COLUMNS: dict[str, tuple[str, ...]] = {
    "children": ("id", "nhs_number", "given_name", "family_name", "name_key", "date_of_birth",
                 "postcode", "local_authority", "created_at"),
    "referrals": ("id", "child_id", "local_authority", "requested_by", "primary_need",
                  "postcode_district", "received_on", "status", "track", "closed_at",
                  "created_at", "updated_at"),
    "ehc_requests": ("referral_id", "local_authority", "requested_on", "requested_by",
                     "escalated", "stage", "created_at", "updated_at"),
    "deadlines": ("referral_id", "kind", "local_authority", "statutory_due_on", "due_on",
                  "met_on"),
    "timeline": ("referral_id", "event_id", "step", "service", "occurred_at"),
    "specialist_allocations": ("allocation_id", "referral_id", "local_authority",
                               "specialist_id", "specialism", "assigned_at"),
    "specialist_waits": ("referral_id", "specialism", "local_authority", "since"),
    "family_contacts": ("referral_id", "contact_name", "email", "phone", "preferred_channel",
                        "local_authority"),
}  # fmt: skip
NOTIFICATIONS_TABLES = ("family_contacts",)


async def insert_all(owner_url: str, rows: dict[str, list[Any]], tables: tuple[str, ...]) -> None:
    """Insert ``tables``' rows, one statement a table (INSERT ... SELECT FROM unnest of a
    column's array each: COPY is refused where row-level security binds the owner), as the
    tables' owner acting for every council, then ANALYZE them."""
    conn = await asyncpg.connect(owner_url, server_settings={SETTING: ALL})
    try:
        async with conn.transaction():
            for table in tables:
                columns = COLUMNS[table]
                types = await conn.fetch(
                    """SELECT attname, format_type(atttypid, atttypmod) AS type
                       FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0""",
                    table,
                )
                type_of = {t["attname"]: t["type"] for t in types}
                arrays = ", ".join(f"${n}::{type_of[c]}[]" for n, c in enumerate(columns, 1))
                await conn.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})",
                    *(list(column) for column in zip(*rows[table], strict=True)),
                )
        for table in tables:
            await conn.execute(f"ANALYZE {table}")
    finally:
        await conn.close()


async def registry_entries(owner_url: str) -> list[UUID]:
    """The ids of Leeds's registry entries (the seeded registry), for the allocations."""
    conn = await asyncpg.connect(owner_url, server_settings={SETTING: ALL})
    try:
        rows = await conn.fetch(
            "SELECT id FROM specialists WHERE local_authority = $1 ORDER BY id", LEEDS
        )
    finally:
        await conn.close()
    return [r["id"] for r in rows]
