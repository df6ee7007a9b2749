"""The registry through the managers' API on real PostgreSQL: create, change, retire (422
naming the field, 409 on conflicts, audited), and the CSV import that applies every row or
none (each bad row's line and field), exported back in the same format."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, migrations_of
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.specialists_app import BRADFORD, LEEDS, specialists_service

HEADER = (
    "id,kind,team_id,display_name,role,local_authority,councils,districts,settings,"
    "languages,capacity,working_pattern,active,email"
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("registry", "specialists", migrations_of("specialists"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with specialists_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def owner(owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(owner_url)
    yield conn
    await conn.close()


async def _client(app: FastAPI, identity: IdentityProvider, user: str) -> httpx.AsyncClient:
    token = await fetch_token(identity.issuer, user)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
async def manager(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(app, identity, "leeds-manager") as client:
        yield client


def _entry(**fields: Any) -> dict[str, Any]:
    return {
        "display_name": "Leeds physiotherapy",
        "role": "physiotherapy",
        "local_authority": LEEDS,
        "districts": ["LS6", "LS7"],
        "languages": ["en", "pl"],
        "capacity": 60,
        "working_pattern": "Mon-Thu, all year",
        **fields,
    }


async def test_managers_create_change_and_retire_entries(
    manager: httpx.AsyncClient, app: FastAPI, identity: IdentityProvider, owner: asyncpg.Connection
) -> None:
    created = await manager.post("/v1/registry", json=_entry())
    assert created.status_code == 201, created.text
    entry = created.json()
    assert (entry["councils"], entry["active"], entry["allocated"]) == ([LEEDS], True, 0)
    taken = await manager.post("/v1/registry", json=_entry(id=entry["id"]))
    assert taken.status_code == 409
    bad = await manager.post("/v1/registry", json=_entry(role="sensory_support", capacity=-1))
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {
        ("body", "role"),
        ("body", "capacity"),
    }
    no_team = await manager.post(
        "/v1/registry", json=_entry(kind="practitioner", team_id=str(uuid4()))
    )
    assert no_team.status_code == 422
    assert no_team.json()["detail"][0]["loc"] == ["body", "team_id"]
    path = f"/v1/registry/{entry['id']}"
    fields = {k: v for k, v in entry.items() if k not in ("id", "allocated", "awaiting_agreement")}
    changed = await manager.put(path, json=fields | {"capacity": 80, "settings": ["107958"]})
    assert (changed.status_code, changed.json()["capacity"]) == (200, 80), changed.text
    moved = await manager.put(path, json=fields | {"local_authority": BRADFORD})
    assert moved.status_code == 403  # not a council this manager acts for
    retired = await manager.post(f"{path}/retire")
    assert (retired.status_code, retired.json()["active"]) == (200, False)
    async with await _client(app, identity, "bradford-manager") as other:
        assert (await other.get(path)).status_code == 404  # another council's entry
        assert (await other.post(f"{path}/retire")).status_code == 404
    async with await _client(app, identity, "leeds-caseworker") as caseworker:
        listed = (await caseworker.get("/v1/registry", params={"local_authority": LEEDS})).json()
    assert entry["id"] in {e["id"] for e in listed}
    audited = await owner.fetch(
        "SELECT action FROM audit_log WHERE resource = 'registry' AND actor = 'leeds-manager'"
    )
    assert {"create", "update", "retire"} <= {a["action"] for a in audited}


async def test_the_export_imports_back_unchanged(manager: httpx.AsyncClient) -> None:
    query = {"local_authority": BRADFORD}
    exported = await manager.get("/v1/registry/export", params={"local_authority": LEEDS})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    text = exported.text
    assert text.splitlines()[0] == HEADER
    assert "Leeds North SLT team" in text
    again = await manager.post(
        "/v1/registry/import", content=text.encode(), headers={"Content-Type": "text/csv"}
    )
    assert again.status_code == 200, again.text
    assert (
        await manager.get("/v1/registry/export", params={"local_authority": LEEDS})
    ).text == text
    assert (await manager.get("/v1/registry/export", params=query)).status_code == 403


async def test_the_export_neutralises_formulas_and_imports_back_the_same_values(
    manager: httpx.AsyncClient,
) -> None:
    """OWASP's CSV injection: a cell a spreadsheet would run is exported behind a ``'``, and
    the import takes it off again; a value starting with ``'`` itself survives both ways."""
    values = {
        '=HYPERLINK("https://example.org/x","Open")': "+44 113 222 3333",
        "@SUM(1+1)": "-2+3, term time",
        "'quoted team": "'=not a formula",
    }
    made = {}
    for name, pattern in values.items():
        created = await manager.post(
            "/v1/registry", json=_entry(display_name=name, working_pattern=pattern)
        )
        assert created.status_code == 201, created.text
        made[created.json()["id"]] = created.json()
    query = {"local_authority": LEEDS}
    exported = (await manager.get("/v1/registry/export", params=query)).text
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(exported))}
    for entry_id, entry in made.items():
        for field in ("display_name", "working_pattern"):
            assert rows[entry_id][field] == "'" + entry[field], rows[entry_id]
    for row in rows.values():
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
    imported = await manager.post(
        "/v1/registry/import", content=exported.encode(), headers={"Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    for entry_id, entry in made.items():
        again = (await manager.get(f"/v1/registry/{entry_id}")).json()
        assert (again["display_name"], again["working_pattern"]) == (
            entry["display_name"],
            entry["working_pattern"],
        )
    assert (await manager.get("/v1/registry/export", params=query)).text == exported


async def test_an_import_with_bad_rows_stores_nothing_and_names_each_line_and_field(
    manager: httpx.AsyncClient, owner: asyncpg.Connection
) -> None:
    before = await owner.fetchval("SELECT count(*) FROM specialists")
    good, new_team = str(uuid4()), str(uuid4())
    rows = [
        HEADER,
        f"{new_team},team,,New SEMH team,semh_support,{LEEDS},,LS9,,en,50,Mon-Fri,true",
        f",team,,Bad capacity,semh_support,{LEEDS},,LS9,,en,lots,Mon-Fri,true",  # line 3
        f"{good},practitioner,{new_team},Good practitioner,semh_support,{LEEDS},,LS9,,en,5,,true",
        f",team,,Bad role and district,sensory_support,{LEEDS},,leeds 6,,en,5,,true",  # line 5
        f",team,,Another council,semh_support,{BRADFORD},,BD1,,en,5,,true",  # line 6
        f"{good},team,,Repeated id,semh_support,{LEEDS},,LS9,,en,5,,maybe",  # line 7
    ]
    refused = await manager.post(
        "/v1/registry/import",
        content="\n".join(rows).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert refused.status_code == 422
    problems = [(e["loc"][1], e["loc"][2]) for e in refused.json()["detail"]]
    assert problems == [
        ("line 3", "capacity"),
        ("line 5", "districts.0"),
        ("line 5", "districts.1"),
        ("line 5", "role"),
        ("line 6", "local_authority"),
        ("line 7", "active"),
    ], refused.json()
    assert await owner.fetchval("SELECT count(*) FROM specialists") == before  # all or nothing
    fixed = [rows[1], rows[3]]
    taken = await manager.post(
        "/v1/registry/import",
        content="\n".join([HEADER, *fixed]).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert taken.status_code == 200, taken.text
    assert await owner.fetchval("SELECT count(*) FROM specialists") == before + 2
    header_only = await manager.post(
        "/v1/registry/import", content=b"id,name\n1,x", headers={"Content-Type": "text/csv"}
    )
    assert header_only.status_code == 422
    assert header_only.json()["detail"][0]["loc"] == ["body", "line 1", "header"]
