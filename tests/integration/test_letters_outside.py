"""A decision's letter is printed and put in the document store (S3 in production: a network
call) with no lock held and no transaction open (#21), on real PostgreSQL: while its bytes are
being put the request is not locked, so another step may change the request meanwhile; the
first step then answers as it would (409), records nothing and its bytes go. The store failing
records nothing (503), and the step sent again is recorded once with one letter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.documents.store import PostgresStore, StoredKey, StoreUnavailable

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import (
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("letters_outside", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def manager(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-manager") as client:
        yield client


@pytest.fixture
async def owner(owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(owner_url)
    yield conn
    await conn.close()


async def _requested(client: httpx.AsyncClient) -> str:
    body = referral_body(track="ehc", received_on=london_today() - timedelta(weeks=3))
    created = await client.post("/v1/referrals", json=body)
    assert created.status_code == 201, created.text
    referral_id: str = created.json()["id"]
    return referral_id


def _refusal(decided_on: date) -> dict[str, str]:
    """The decision not to assess, taken on ``decided_on``."""
    return {
        "decision": "refuse",
        "decided_on": str(decided_on),
        "reason": "no_evidence_of_special_educational_needs",
    }


async def _letters(owner: asyncpg.Connection, referral_id: str) -> list[Any]:
    return await owner.fetch(
        "SELECT id, letter_kind FROM documents WHERE referral_id = $1 AND kind = 'letter'",
        referral_id,
    )


async def _orphan_bytes(owner: asyncpg.Connection) -> int:
    """Bytes in the store that no document's row names."""
    count: int = await owner.fetchval(
        """SELECT count(*) FROM document_contents c
           WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = c.document_id)"""
    )
    return count


async def test_no_lock_is_held_while_the_letter_is_stored_and_a_changed_request_answers_409(
    caseworker: httpx.AsyncClient,
    manager: httpx.AsyncClient,
    owner: asyncpg.Connection,
    owner_url: str,
    monkeypatch: pytest.MonkeyPatch,
    today: date,
) -> None:
    referral_id = await _requested(caseworker)
    path = f"/v1/referrals/{referral_id}"
    put = PostgresStore.put
    seen: dict[str, Any] = {}

    async def slow_bucket(store: PostgresStore, key: StoredKey, content: bytes) -> None:
        if not seen:  # the first letter's bytes: meanwhile, another step on the request
            seen["key"] = key
            try:
                await owner.execute("SET lock_timeout = '2s'")  # never waits for ever
                async with owner.transaction():
                    await owner.fetchval(
                        "SELECT 1 FROM ehc_requests WHERE referral_id = $1 FOR UPDATE NOWAIT",
                        referral_id,
                    )
                seen["locked"] = False
            except asyncpg.LockNotAvailableError:
                seen["locked"] = True  # the store called under the request's lock
            if not seen["locked"]:
                seen["other"] = await manager.post(
                    f"{path}/assessment-decision", json=_refusal(today)
                )
        await put(store, key, content)

    monkeypatch.setattr(PostgresStore, "put", slow_bucket)
    first = await caseworker.post(
        f"{path}/assessment-decision", json={"decision": "assess", "decided_on": str(today)}
    )
    assert seen["locked"] is False
    assert seen["other"].status_code == 200, seen["other"].text
    assert first.status_code == 409  # as the step would answer: the request was decided
    assert "assessment_refused" in first.json()["detail"]
    view = (await caseworker.get(path)).json()
    assert (view["ehc"]["stage"], view["ehc"]["assessment_decision"]) == (
        "assessment_refused",
        "refuse",
    )
    assert [r["letter_kind"] for r in await _letters(owner, referral_id)] == ["assessment_refused"]
    gone = await owner.fetchval(
        "SELECT count(*) FROM document_contents WHERE document_id = $1", seen["key"].document_id
    )
    assert gone == 0  # the first letter's bytes were removed
    assert await _orphan_bytes(owner) == 0
    topics = [t for t, _ in await outbox_events(owner_url, referral_id)]
    assert topics.count("referrals.assessment-decided.v1") == 1


async def test_the_store_failing_records_nothing_and_the_step_sent_again_keeps_one_letter(
    caseworker: httpx.AsyncClient,
    owner: asyncpg.Connection,
    owner_url: str,
    monkeypatch: pytest.MonkeyPatch,
    today: date,
) -> None:
    referral_id = await _requested(caseworker)
    path = f"/v1/referrals/{referral_id}"
    put = PostgresStore.put
    refusal = _refusal(today)  # the same step each time it is sent

    async def bucket_down(store: PostgresStore, key: StoredKey, content: bytes) -> None:
        raise StoreUnavailable(f"{key.document_id}: ConnectTimeout")

    monkeypatch.setattr(PostgresStore, "put", bucket_down)
    headers = {"Idempotency-Key": "refusal-while-the-bucket-is-down"}
    failed = await caseworker.post(f"{path}/assessment-decision", json=refusal, headers=headers)
    assert failed.status_code == 503
    assert (await caseworker.get(path)).json()["ehc"]["stage"] == "assessment_requested"
    assert await _letters(owner, referral_id) == []
    topics = [t for t, _ in await outbox_events(owner_url, referral_id)]
    assert "referrals.assessment-decided.v1" not in topics

    monkeypatch.setattr(PostgresStore, "put", put)
    again = await caseworker.post(f"{path}/assessment-decision", json=refusal, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["stage"] == "assessment_refused"
    replayed = await caseworker.post(f"{path}/assessment-decision", json=refusal, headers=headers)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert [r["letter_kind"] for r in await _letters(owner, referral_id)] == ["assessment_refused"]
    assert await _orphan_bytes(owner) == 0  # the retry wrote no second letter's bytes
