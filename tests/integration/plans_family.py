"""The plans service in-process against a fresh database of its own (real PostgreSQL, the
application role, row-level security), with plans stored directly and family links minted
with the services' development key. No Kafka."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from fastapi import FastAPI
from plans.app import create_app
from plans.config import PlansSettings
from plans.document import PlanDocument
from plans.family import repository as family_repository
from pydantic import SecretStr

from scripts.platform import IdentityProvider, service_url
from shared.family_links import mint
from shared.migrations import owner_connection
from shared.state import service_state

LEEDS, BRADFORD = "E08000035", "E08000032"
LINK_KEY = SecretStr("development-only-family-link-key-change-me")  # the services' default


@asynccontextmanager
async def plans_service(
    owner_url: str, identity: IdentityProvider, **settings: Any
) -> AsyncIterator[FastAPI]:
    app = create_app(
        PlansSettings(
            database_url=service_url(owner_url),
            oidc_issuer=identity.issuer,
            rate_limit_family="100000/minute",
            **settings,
        )
    )
    await service_state(app).database.open()
    try:
        yield app
    finally:
        await service_state(app).database.close()


async def seed_plan(
    owner_url: str,
    document: PlanDocument | dict[str, Any],
    *,
    status: str = "shared",
    council: str = LEEDS,
    referral_id: UUID | None = None,
) -> UUID:
    """A referral's plan stored as drafting stores it (a dict: an older shape, as is)."""
    referral_id = referral_id or uuid4()
    conn = await owner_connection(owner_url)
    try:
        if isinstance(document, PlanDocument):
            await family_repository.store_plan(
                conn,
                plan_id=uuid4(),
                referral_id=referral_id,
                local_authority=council,
                status=status,
                document=document,
            )
        else:
            await conn.execute(
                """INSERT INTO support_plans (id, referral_id, local_authority, primary_need,
                       area_of_need, specialism, status, sections)
                   VALUES ($1, $2, $3, 'SLCN', 'communication and interaction',
                       'speech_and_language_therapy', $4, $5::jsonb)""",
                uuid4(), referral_id, council, status, json.dumps(document),
            )  # fmt: skip
    finally:
        await conn.close()
    return referral_id


def link(referral_id: UUID, council: str = LEEDS, **changes: Any) -> str:
    """The family's link token, as notifications mints it (of link generation 0 unless
    ``generation`` is given: the referral's links were never revoked)."""
    return mint(
        changes.get("key", LINK_KEY),
        referral_id=referral_id,
        local_authority=council,
        valid_for=changes.get("valid_for", timedelta(days=1)),
        generation=changes.get("generation", 0),
        now=changes.get("now", datetime.now(UTC)),
    )
