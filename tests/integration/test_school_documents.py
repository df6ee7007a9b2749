"""A SENCo's documents through the referrals API on real PostgreSQL (signed in through the
development identity provider as the seed's SENCos of two Leeds schools): a SENCo uploads
educational advice and annual review reports for their own pupil, checked as every upload is
and audited as theirs, and reads back only what they uploaded; another school's SENCo can
neither upload to nor read anything of that pupil's documents (404, nothing stored). The
school's educational advice, when the council asked for it, is received on the EHC clock as an
adviser's is."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from devtools.dev_identity_seed import LEEDS_SCHOOL_URN
from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.migrations import owner_connection
from tests import documents
from tests.conftest import Databases
from tests.integration.referrals_app import (
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("school_documents", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def clients(
    app: FastAPI, identity: IdentityProvider
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    found = {
        user: await signed_in(app, identity, user)
        for user in ("leeds-caseworker", "leeds-senco", "leeds-senco-2")
    }
    yield found
    for client in found.values():
        await client.aclose()


@pytest.fixture
async def owner(owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(owner_url)
    yield conn
    await conn.close()


async def _pupil(caseworker: httpx.AsyncClient) -> str:
    created = await caseworker.post(
        "/v1/referrals", json=referral_body(school_urn=LEEDS_SCHOOL_URN)
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _upload(
    client: httpx.AsyncClient, referral_id: str, content: bytes, **form: str
) -> httpx.Response:
    return await client.post(
        f"/v1/school/pupils/{referral_id}/documents",
        files={"file": ("Educational advice.pdf", content, "application/octet-stream")},
        data=form,
    )


async def _audited(owner: asyncpg.Connection, referral_id: str) -> list[tuple[Any, ...]]:
    rows = await owner.fetch(
        """SELECT actor, action, resource FROM audit_log
           WHERE referral_id = $1 AND resource LIKE 'document%' ORDER BY id""",
        UUID(referral_id),
    )
    return [tuple(r) for r in rows]


async def test_a_senco_uploads_educational_advice_for_their_pupil_and_reads_it_back(
    clients: dict[str, httpx.AsyncClient], owner: asyncpg.Connection
) -> None:
    caseworker, senco = clients["leeds-caseworker"], clients["leeds-senco"]
    referral_id = await _pupil(caseworker)
    content = documents.pdf("educational advice")

    uploaded = await _upload(senco, referral_id, content)

    assert uploaded.status_code == 201, uploaded.text
    advice = uploaded.json()
    assert (advice["kind"], advice["advice_kind"]) == ("advice", "educational")
    assert advice["uploaded_by"] == "leeds-senco"
    assert advice["sha256"] == hashlib.sha256(content).hexdigest()
    again = await _upload(senco, referral_id, content)  # a retried upload: the same document
    assert (again.status_code, again.json()["id"]) == (200, advice["id"])
    report = await _upload(senco, referral_id, documents.pdf("annual review"), kind="report")
    assert report.status_code == 201, report.text
    assert (report.json()["kind"], report.json()["advice_kind"]) == ("report", None)

    listed = await senco.get(f"/v1/school/pupils/{referral_id}/documents")
    assert [d["id"] for d in listed.json()] == [advice["id"], report.json()["id"]]
    download = await senco.get(f"/v1/school/pupils/{referral_id}/documents/{advice['id']}")
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["cache-control"] == "no-store"
    # The council has it in the child's record.
    council = await caseworker.get(f"/v1/referrals/{referral_id}/documents")
    assert advice["id"] in {d["id"] for d in council.json()}
    assert await _audited(owner, referral_id) == [
        ("leeds-senco", "create", "document"),
        ("leeds-senco", "create", "document"),
        ("leeds-senco", "read", "documents"),
        ("leeds-senco", "read", "document"),
        ("leeds-caseworker", "read", "documents"),
    ]


async def test_a_senco_reads_nothing_of_the_record_they_did_not_upload(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    caseworker, senco = clients["leeds-caseworker"], clients["leeds-senco"]
    referral_id = await _pupil(caseworker)
    evidence = await caseworker.post(
        f"/v1/referrals/{referral_id}/documents",
        files={"file": ("Health letter.pdf", documents.pdf("health"), "application/pdf")},
    )
    assert evidence.status_code == 201, evidence.text

    listed = await senco.get(f"/v1/school/pupils/{referral_id}/documents")
    assert (listed.status_code, listed.json()) == (200, [])
    theirs = await senco.get(f"/v1/school/pupils/{referral_id}/documents/{evidence.json()['id']}")
    assert theirs.status_code == 404
    # The same bytes as the council's advice: refused, never answered with its details.
    council_advice = await caseworker.post(
        f"/v1/referrals/{referral_id}/documents",
        files={"file": ("Dr Smith on Sam.pdf", documents.pdf("medical"), "application/pdf")},
        data={"kind": "advice", "advice_kind": "medical"},
    )
    assert council_advice.status_code == 201, council_advice.text
    same = await _upload(senco, referral_id, documents.pdf("medical"))
    assert same.status_code == 409
    assert "Dr Smith" not in same.text
    assert council_advice.json()["id"] not in same.text


async def test_another_schools_senco_can_neither_upload_to_nor_read_that_pupils_documents(
    clients: dict[str, httpx.AsyncClient], owner: asyncpg.Connection
) -> None:
    referral_id = await _pupil(clients["leeds-caseworker"])
    advice = await _upload(clients["leeds-senco"], referral_id, documents.pdf("ours"))
    assert advice.status_code == 201, advice.text
    other = clients["leeds-senco-2"]
    before = await owner.fetchval("SELECT count(*) FROM documents")
    contents = await owner.fetchval("SELECT count(*) FROM document_contents")

    refused = await _upload(other, referral_id, documents.pdf("theirs"))
    listed = await other.get(f"/v1/school/pupils/{referral_id}/documents")
    download = await other.get(f"/v1/school/pupils/{referral_id}/documents/{advice.json()['id']}")

    assert (refused.status_code, listed.status_code, download.status_code) == (404, 404, 404)
    assert await owner.fetchval("SELECT count(*) FROM documents") == before
    assert await owner.fetchval("SELECT count(*) FROM document_contents") == contents
    assert [a for a in await _audited(owner, referral_id) if a[0] == "leeds-senco-2"] == []


async def test_a_senco_sends_only_advice_or_a_report_and_a_bad_file_is_refused(
    clients: dict[str, httpx.AsyncClient], owner: asyncpg.Connection
) -> None:
    senco = clients["leeds-senco"]
    referral_id = await _pupil(clients["leeds-caseworker"])

    letter = await _upload(senco, referral_id, documents.pdf("letter"), kind="letter")
    program = await _upload(senco, referral_id, documents.windows_program())

    assert letter.status_code == 422
    assert letter.json()["detail"][0]["loc"][-1] == "kind"
    assert program.status_code == 422
    assert program.json()["detail"][0]["loc"][-1] == "file"
    stored = await owner.fetchval(
        "SELECT count(*) FROM documents WHERE referral_id = $1", UUID(referral_id)
    )
    assert stored == 0


async def test_a_sencos_educational_advice_is_received_on_the_clock_when_the_council_asked(
    clients: dict[str, httpx.AsyncClient], owner_url: str
) -> None:
    """Reg 6(1)(b): the school's educational advice, uploaded by its SENCo, is the educational
    advice received (its deadline met, the step on the timeline with the document's id), once
    the council has asked for it; uploaded before that, it is only kept."""
    caseworker, senco = clients["leeds-caseworker"], clients["leeds-senco"]
    today = london_today()
    created = await caseworker.post(
        "/v1/referrals",
        json=referral_body(
            track="ehc", received_on=today - timedelta(weeks=3), school_urn=LEEDS_SCHOOL_URN
        ),
    )
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    path = f"/v1/referrals/{referral_id}"
    early = await _upload(senco, referral_id, documents.pdf("before anyone asked"))
    assert early.status_code == 201, early.text
    decided = await caseworker.post(
        f"{path}/assessment-decision", json={"decision": "assess", "decided_on": str(today)}
    )
    assert decided.status_code == 200, decided.text
    asked = await caseworker.post(
        f"{path}/advice-requests", json={"kinds": ["educational"], "requested_on": str(today)}
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["advice"][0]["received_on"] is None  # the early upload was only kept
    advice = await _upload(senco, referral_id, documents.pdf("the school's advice"))
    assert advice.status_code == 201, advice.text
    ehc = (await caseworker.get(path)).json()["ehc"]
    assert [(a["kind"], a["received_on"]) for a in ehc["advice"]] == [("educational", str(today))]
    assert {d["kind"]: d["state"] for d in ehc["deadlines"]}["advice:educational"] == "met"
    topic, received = (await outbox_events(owner_url, referral_id))[-1]
    assert topic == "referrals.advice-received.v1"
    assert (received["kind"], received["document_id"]) == ("educational", advice.json()["id"])


async def _educational_advice_asked(caseworker: httpx.AsyncClient) -> str:
    """A pupil's EHC request being assessed, the school's educational advice asked for."""
    asked_on = london_today() - timedelta(days=7)
    created = await caseworker.post(
        "/v1/referrals",
        json=referral_body(
            track="ehc", received_on=asked_on - timedelta(days=14), school_urn=LEEDS_SCHOOL_URN
        ),
    )
    assert created.status_code == 201, created.text
    path = f"/v1/referrals/{created.json()['id']}"
    for step, body in (
        ("assessment-decision", {"decision": "assess", "decided_on": str(asked_on)}),
        ("advice-requests", {"kinds": ["educational", "medical"], "requested_on": str(asked_on)}),
    ):
        taken = await caseworker.post(f"{path}/{step}", json=body)
        assert taken.status_code == 200, taken.text
    return str(created.json()["id"])


async def test_a_sencos_educational_advice_is_received_on_the_clock_as_an_advisers_is(
    clients: dict[str, httpx.AsyncClient], owner_url: str
) -> None:
    caseworker, senco = clients["leeds-caseworker"], clients["leeds-senco"]
    referral_id = await _educational_advice_asked(caseworker)

    sent = await _upload(senco, referral_id, documents.pdf("the school's advice"), kind="advice")
    assert sent.status_code == 201, sent.text

    ehc = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()["ehc"]
    by_kind = {a["kind"]: a for a in ehc["advice"]}
    assert by_kind["educational"]["received_on"] == london_today().isoformat()
    assert by_kind["medical"]["received_on"] is None
    [received] = [
        d for t, d in await outbox_events(owner_url, referral_id) if "advice-received" in t
    ]
    assert (received["kind"], received["document_id"]) == ("educational", sent.json()["id"])
    timeline = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()["timeline"]
    assert ("advice_received", "educational") in {(t["step"], t["detail"]) for t in timeline}

    # A second file (an addendum) is kept with the record; the clock is not moved again.
    again = await _upload(senco, referral_id, documents.pdf("an addendum"), kind="advice")
    assert again.status_code == 201, again.text
    assert (
        len([t for t, _ in await outbox_events(owner_url, referral_id) if "advice-received" in t])
        == 1
    )


async def test_a_sencos_advice_not_asked_for_is_kept_and_the_clock_is_unchanged(
    clients: dict[str, httpx.AsyncClient], owner_url: str
) -> None:
    referral_id = await _pupil(clients["leeds-caseworker"])  # support track: no clock
    sent = await _upload(
        clients["leeds-senco"], referral_id, documents.pdf("unasked"), kind="advice"
    )
    assert sent.status_code == 201, sent.text
    assert [
        t for t, _ in await outbox_events(owner_url, referral_id) if "advice-received" in t
    ] == []
