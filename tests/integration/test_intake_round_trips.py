"""Taking a referral in over HTTP makes few round trips to PostgreSQL (issue #25): each is a
socket write and read, a span and a turn of the event loop, a third of the route's CPU when it
made 13. Counted on the request's own connection, real PostgreSQL, for a new child with an NHS
number (the common case), a known child, and a caller acting for two councils (whose unit of
work must still act for the referral's council alone)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from asyncpg.connection import LoggedQuery
from fastapi import FastAPI
from referrals.intake import name_key

from scripts.platform import IdentityProvider, migrations_of
from shared.councils import SETTING, act_for
from shared.db import Connection
from shared.migrations import owner_connection
from shared.state import service_state
from shared.unit_of_work import Actor, session_acts_for
from tests.conftest import Databases
from tests.integration.referrals_app import (
    BRADFORD,
    LEEDS,
    nhs_number,
    referral_body,
    referrals_service,
    signed_in,
)

KNOWN = nhs_number(7301)  # a child known here with no open referral


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    url = await databases.fresh("intaketrips", "referrals", migrations_of("referrals"))
    owner = await owner_connection(url)
    try:
        await owner.execute(
            """INSERT INTO children (id, nhs_number, given_name, family_name, name_key,
                   date_of_birth, postcode, local_authority)
               VALUES ($1, $2, 'Known', 'Child', $3, '2018-02-03', 'LS1 1AA', $4)""",
            uuid4(), KNOWN, name_key("Known", "Child"), LEEDS,
        )  # fmt: skip
    finally:
        await owner.close()
    return url


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, accept_test_nhs_numbers=True) as running:
        yield running


async def _statements_of_one_post(
    app: FastAPI, identity: IdentityProvider, user: str, body: dict[str, object]
) -> list[str]:
    """The statements one ``POST /v1/referrals`` sent on its connection, up to its commit (the
    pool's reset as the connection goes back comes after the answer), after one taken in
    before (the types and statements the connection learns once)."""
    statements: list[str] = []

    def logged(query: LoggedQuery) -> None:
        statements.append(" ".join(query.query.split()))

    pool = service_state(app).database.pool()
    async with await signed_in(app, identity, user) as client:
        warm_up = await client.post("/v1/referrals", json=referral_body())
        assert warm_up.status_code == 201, warm_up.text
        # The pool hands out the connection last given back first (a LIFO queue): the one
        # the request will take, with nothing else running.
        async with pool.acquire() as conn:
            conn.add_query_logger(logged)
        try:
            answer = await client.post("/v1/referrals", json=body)
        finally:
            async with pool.acquire() as conn:
                conn.remove_query_logger(logged)
    assert answer.status_code == 201, answer.text
    assert "COMMIT;" in statements, statements
    commit = statements.index("COMMIT;")
    # From the pool's reset of the connection as this test handed it back.
    first = max(i for i, s in enumerate(statements[:commit]) if "RESET ALL" in s) + 1
    taken_in = statements[first : commit + 1]
    assert any("INSERT INTO referrals" in s for s in taken_in), statements
    return taken_in


async def test_a_new_childs_referral_is_taken_in_with_few_round_trips(
    app: FastAPI, identity: IdentityProvider
) -> None:
    body = referral_body(nhs_number=nhs_number(7302))
    statements = await _statements_of_one_post(app, identity, "leeds-caseworker", body)
    # The session's councils, BEGIN, the child's locks, the duplicate check (with the
    # child known by its NHS number), the child, the referral and its first step, the
    # outbox and audit rows, COMMIT. It was 12 (and the pool's reset).
    assert len(statements) <= 7, "\n".join(statements)


async def test_a_known_childs_referral_is_taken_in_with_few_round_trips(
    app: FastAPI, identity: IdentityProvider
) -> None:
    body = referral_body(nhs_number=KNOWN, given_name="Known", family_name="Child")
    body["child"]["date_of_birth"] = "2018-02-03"
    statements = await _statements_of_one_post(app, identity, "leeds-caseworker", body)
    assert len(statements) <= 7, "\n".join(statements)


async def test_a_unit_of_work_sets_its_councils_unless_the_session_acts_for_just_those(
    app: FastAPI,
) -> None:
    """A request's connection acts for its caller's councils (``shared.http.connection``); a
    unit of work on it for the same councils sets nothing, one for fewer still acts for those
    alone, and one nested in another's transaction sets its own."""
    state = service_state(app)
    statements: list[str] = []
    actor = Actor("test")

    async def acting(conn: Connection) -> str:
        return str(await conn.fetchval("SELECT current_setting($1)", SETTING))

    def logged(query: LoggedQuery) -> None:
        statements.append(query.query)

    async with state.database.pool().acquire() as conn:
        await act_for(conn, [LEEDS, BRADFORD], local=False)
        session_acts_for(conn, [LEEDS, BRADFORD])
        conn.add_query_logger(logged)
        try:
            async with state.work.begin(actor, councils=[LEEDS, BRADFORD], conn=conn) as uow:
                assert await acting(uow.conn) == f"{LEEDS},{BRADFORD}"
            assert not [s for s in statements if "set_config" in s], statements
            async with state.work.begin(actor, councils=[BRADFORD], conn=conn) as uow:
                assert await acting(uow.conn) == BRADFORD
                async with state.work.begin(actor, councils=[LEEDS, BRADFORD], conn=conn):
                    assert await acting(uow.conn) == f"{LEEDS},{BRADFORD}"
            assert await acting(conn) == f"{LEEDS},{BRADFORD}"
        finally:
            conn.remove_query_logger(logged)
