"""The plan names the child it is for (issue 21): referrals' ``child-identified`` reaches
plans' handler, and the caseworker's plan, the family's plan and both PDFs carry the child's
name and date of birth, an EHC plan's sections lettered; the child's details erased with the
rest at retention. Real PostgreSQL (row-level security), plans' handlers as its consumer
hands them."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from pypdf import PdfReader

from scripts.platform import IdentityProvider, migrations_of
from shared.events import ChildDetailsErased, ChildIdentified, wrap
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.plans_app import drafted, family_token, handled, plans_service
from tests.integration.referrals_app import signed_in

BORN = date(2018, 9, 14)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("planchild", "plans", migrations_of("plans"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with plans_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def family(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def _handled(owner_url: str, event: Any) -> None:
    conn = await owner_connection(owner_url)
    try:
        async with conn.transaction():
            await handled(conn, wrap(event, source="/t", local_authority="E08000035"))
    finally:
        await conn.close()


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


async def _identified(owner_url: str, referral_id: UUID) -> None:
    await _handled(
        owner_url,
        ChildIdentified(
            referral_id=referral_id, given_name="Noor", family_name="Ahmed", date_of_birth=BORN
        ),
    )


async def test_the_plan_and_both_pdfs_carry_the_childs_name_and_date_of_birth(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id = await drafted(owner_url, track="ehc", issue_decided=True)
    path = f"/v1/referrals/{referral_id}/plan"
    await _identified(owner_url, referral_id)
    plan = (await caseworker.get(path)).json()
    assert plan["child"] == {
        "given_name": "Noor", "family_name": "Ahmed", "date_of_birth": str(BORN),
    }  # fmt: skip
    await caseworker.post(f"{path}/issue", json={})  # the family sees it once issued
    staff_pdf = await caseworker.get(f"{path}.pdf")
    assert staff_pdf.status_code == 200, staff_pdf.text
    token = family_token(referral_id)
    family_pdf = await family.get(f"/v1/family/{token}/plan.pdf")
    assert family_pdf.status_code == 200, family_pdf.text
    for text in (_text(staff_pdf.content), _text(family_pdf.content)):
        assert "Child's name: Noor Ahmed" in text
        assert "Date of birth: 14 September 2018" in text
        assert f"EHC plan {str(referral_id)[:8].upper()}" in text  # every page's header
        assert "Section B: What your child finds hard" in text
        assert "Section F: The help your child will get" in text
    page = (await family.get(f"/v1/family/{token}/plan")).json()["plan"]
    assert (page["child_name"], page["born"]) == ("Noor Ahmed", "14 September 2018")


async def test_the_childs_name_is_erased_with_the_rest_of_their_details(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id = await drafted(owner_url, track="ehc")
    await _identified(owner_url, referral_id)
    await _handled(
        owner_url,
        ChildDetailsErased(
            referral_id=referral_id, local_authority="E08000035", erased_on=date(2057, 3, 14)
        ),
    )
    plan = (await caseworker.get(f"/v1/referrals/{referral_id}/plan")).json()
    assert plan["child"] is None
    conn = await owner_connection(owner_url)
    try:
        left = await conn.fetchval(
            "SELECT count(*) FROM plan_children WHERE referral_id = $1", referral_id
        )
    finally:
        await conn.close()
    assert left == 0
