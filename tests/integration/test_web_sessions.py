"""The workspace's sessions in its real database: stored encrypted and under a hash of the
cookie's token (a copy of the table opens no one's session and shows no token or claim), ended
by the idle and the absolute timeouts, and by a retired key."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from web.sessions import SessionStore, fernet_of

from scripts.platform import migrations_of
from shared.db import Database
from shared.services import LOCAL_SERVICE_USER, with_user
from tests.conftest import Databases

KEY = "a-test-key-of-more-than-thirty-two-bytes"


@pytest.fixture(scope="module")
async def web_database(databases: Databases) -> str:
    return await databases.fresh("web-sessions", "web", migrations_of("web"))


@pytest.fixture
async def database(web_database: str) -> AsyncIterator[Database]:
    db = Database(with_user(web_database, LOCAL_SERVICE_USER, LOCAL_SERVICE_USER))
    await db.open()
    yield db
    await db.close()


def _store(database: Database, key: str = KEY) -> SessionStore:
    return SessionStore(
        database, fernet_of(key), idle=timedelta(minutes=30), absolute=timedelta(hours=8)
    )


async def test_a_session_is_stored_encrypted_under_the_hash_of_its_token(
    database: Database, web_database: str
) -> None:
    store = _store(database)
    session = store.start()
    session.data.update(user={"sub": "leeds-caseworker"}, tokens={"access_token": "eyJsecret"})
    await store.store(session)

    conn = await asyncpg.connect(web_database)
    try:
        row = await conn.fetchrow("SELECT id_hash, data FROM sessions")
    finally:
        await conn.close()
    assert row is not None
    assert bytes(row["id_hash"]) == hashlib.sha256(session.token.encode()).digest()
    stored = bytes(row["data"])
    for secret in (b"leeds-caseworker", b"eyJsecret", session.token.encode()):
        assert secret not in stored
    again = await store.load(session.token)
    assert again is not None
    assert again.data["tokens"]["access_token"] == "eyJsecret"


async def test_a_session_ends_after_30_idle_minutes_and_after_8_hours_whatever_its_use(
    database: Database,
) -> None:
    store = _store(database)
    start = datetime.now(UTC)
    idle = store.start(now=start, data={"user": {"sub": "a"}})
    await store.store(idle, now=start)
    assert await store.load(idle.token, now=start + timedelta(minutes=29)) is not None
    assert await store.load(idle.token, now=start + timedelta(minutes=31)) is None
    assert await store.load(idle.token, now=start) is None  # ended means gone

    busy = store.start(now=start, data={"user": {"sub": "b"}})
    await store.store(busy, now=start)
    now = start
    while now < start + timedelta(hours=7, minutes=30):  # used every 20 minutes all day
        now += timedelta(minutes=20)
        loaded = await store.load(busy.token, now=now)
        assert loaded is not None, now - start
        await store.store(loaded, now=now)
    assert await store.load(busy.token, now=start + timedelta(hours=8, minutes=1)) is None


async def test_a_session_sealed_with_a_retired_key_opens_nothing(database: Database) -> None:
    old = _store(database, key="an-old-key-of-more-than-thirty-two-bytes!")
    session = old.start(data={"user": {"sub": "c"}})
    await old.store(session)
    rotating = _store(database, key=f"{KEY},an-old-key-of-more-than-thirty-two-bytes!")
    assert await rotating.load(session.token) is not None  # the old key still decrypts
    retired = _store(database, key=KEY)
    assert await retired.load(session.token) is None


async def test_the_sweep_deletes_expired_sessions_only(database: Database) -> None:
    store = _store(database)
    start = datetime.now(UTC) - timedelta(days=1)
    expired = store.start(now=start, data={"user": {"sub": "d"}})
    await store.store(expired, now=start)
    current = store.start(data={"user": {"sub": "e"}})
    await store.store(current)
    await store.sweep()
    assert await store.load(current.token) is not None
    pool = database.pool()
    hashes = {bytes(r["id_hash"]) for r in await pool.fetch("SELECT id_hash FROM sessions")}
    assert hashlib.sha256(expired.token.encode()).digest() not in hashes
