"""The waitlist moves across the running platform, through Kafka: when a specialist's
allocation ends, its places go to the waiting child with the nearest statutory deadline, then
the next, then the child waiting longest; each move reaches the referral's timeline and the
family. A child whose need no team serves hears something else than "all full"."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from shared.dates import london_today
from tests.e2e.conftest import wait_for_timeline
from tests.events import referral_request

BRADFORD = "E08000032"
SLT = "speech_and_language_therapy"


async def _until(check: Callable[[], Awaitable[Any]], what: str, timeout_s: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not (found := await check()):
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.1)
    return found


def _body(need: str = "SLCN", weeks_ago: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {**referral_request(), "local_authority": BRADFORD}
    body["primary_need"] = need
    body["child"] = {**body["child"], "postcode": "BD3 9AB", "nhs_number": None}
    if weeks_ago is not None:
        body |= {"track": "ehc", "received_on": str(london_today() - timedelta(weeks=weeks_ago))}
    return body


async def test_a_freed_place_goes_to_the_nearest_deadline_and_reaches_timeline_and_family(
    platform: Platform, identity: IdentityProvider
) -> None:
    headers = {
        user: {"Authorization": f"Bearer {await fetch_token(identity.issuer, user)}"}
        for user in ("bradford-caseworker", "bradford-manager")
    }
    referrals = httpx.AsyncClient(
        base_url=platform.url("referrals"), timeout=10, headers=headers["bradford-caseworker"]
    )
    specialists = httpx.AsyncClient(
        base_url=platform.url("specialists"), timeout=10, headers=headers["bradford-manager"]
    )
    notifications = httpx.AsyncClient(
        base_url=platform.url("notifications"), timeout=10, headers=headers["bradford-caseworker"]
    )
    registry = (await specialists.get("/v1/registry", params={"local_authority": BRADFORD})).json()
    teams = [e for e in registry if e["role"] == SLT and e["active"]]
    original = {e["id"]: e for e in teams}

    async def set_capacity(entry: dict[str, Any], capacity: int) -> None:
        fields = {
            k: v for k, v in entry.items() if k not in ("id", "allocated", "awaiting_agreement")
        }
        changed = await specialists.put(
            f"/v1/registry/{entry['id']}", json=fields | {"capacity": capacity}
        )
        assert changed.status_code == 200, changed.text

    async def create(body: dict[str, Any]) -> str:
        created = await referrals.post("/v1/referrals", json=body)
        assert created.status_code == 201, created.text
        referral_id: str = created.json()["id"]
        return referral_id

    async def allocations(referral_id: str) -> dict[str, Any]:
        found: dict[str, Any] = (
            await specialists.get(f"/v1/referrals/{referral_id}/allocations")
        ).json()
        return found

    async def slt_waiting(referral_id: str, deadline: bool) -> bool:
        view = await allocations(referral_id)
        waits = [w for w in view.get("waiting", []) if w["role"] == SLT]
        return bool(waits) and (waits[0]["statutory_due"] is not None) is deadline

    async def slt_allocation(referral_id: str) -> str | None:
        view = await allocations(referral_id)
        active = [
            a["id"] for a in view.get("allocations", [])
            if a["specialism"] == SLT and a["status"] == "active"
        ]  # fmt: skip
        return active[0] if active else None

    try:
        # The team has room for two support cases (1 place each); its practitioner none.
        for entry in teams:
            await set_capacity(entry, entry["allocated"] + (2 if entry["kind"] == "team" else 0))
        occupying = [await create(_body()), await create(_body())]
        endings = [
            await _until(functools.partial(slt_allocation, r), "an occupying child's allocation")
            for r in occupying
        ]
        support = await create(_body())  # waits longest; no statutory clock
        await _until(lambda: slt_waiting(support, deadline=False), "the support child waiting")
        later = await create(_body(weeks_ago=10))  # final plan due in 10 weeks; counts 2
        await _until(lambda: slt_waiting(later, deadline=True), "the later deadline waiting")
        sooner = await create(_body(weeks_ago=15))  # due in 5 weeks; counts 2
        await _until(lambda: slt_waiting(sooner, deadline=True), "the sooner deadline waiting")

        async def end(allocation_id: str, referral_id: str) -> None:
            answer = await specialists.post(
                f"/v1/allocations/{allocation_id}/end", json={"reason": "support_completed"}
            )
            assert answer.status_code == 200, answer.text
            await wait_for_timeline(referrals, referral_id, ("allocation_ended",))

        # One place free: kept for the child first in line (the sooner deadline needs 2).
        await end(endings[0], occupying[0])
        assert [await slt_allocation(r) for r in (sooner, later, support)] == [None] * 3
        ended = occupying[1]
        ending = endings[1]
        allocated: list[str] = []
        for expected in (sooner, later, support):
            await end(ending, ended)
            # Through Kafka: the allocation from the waitlist is on the referral's timeline.
            # No psychologist yet on the EHC track: they come with the decision to assess.
            steps = ("waitlisted", "specialist_assigned")
            referral = await wait_for_timeline(referrals, expected, steps)
            assert referral["status"] == "specialist_assigned"
            allocated.append(expected)
            for other in {sooner, later, support} - set(allocated):
                assert await slt_allocation(other) is None, "out of priority order"
            ending = await slt_allocation(expected)
            assert ending is not None
            ended = expected

        async def told(referral_id: str) -> list[str]:
            alerts = await notifications.get(f"/v1/referrals/{referral_id}/notifications")
            return [a["template"] for a in alerts.json()]

        # Each message comes from an event on its own topic: wait for both, not the later one.
        await _until(
            lambda: _has_all(told(support), "referral-waitlisted", "waitlist-place-found"),
            "the family told it waits, then of the place",
        )

        # No team of the kind serves Bradford (multi-sensory impairment): not "all full".
        # The plan needs a teacher for multi-sensory impairment (none in Bradford) and one of
        # the deaf (Bradford has them): one message says who will help and that no team of
        # the other kind serves the area; the council hears of the gap.
        msi = await create(_body(need="MSI"))
        await _until(lambda: _has(told(msi), "service-gap"), "the gap flagged to the council")
        await _until(lambda: _has(told(msi), "specialists-matched"), "the family's one message")
        assert "referral-waitlisted" not in await told(msi)
        view = await allocations(msi)
        assert [(w["role"], w["reason"]) for w in view["waiting"]] == [
            ("multi_sensory_impairment_teaching", "no_team")
        ]
        report = (
            await specialists.get("/v1/reports/capacity", params={"local_authority": BRADFORD})
        ).json()
        assert "multi_sensory_impairment_teaching" in report["gaps"]

        async def settled() -> dict[str, str]:
            alerts = (await notifications.get(f"/v1/referrals/{msi}/notifications")).json()
            status = {a["template"]: a["status"] for a in alerts}
            pending = (None, "awaiting_contact", "queued", "sending", "sent")
            return status if status.get("service-gap") not in pending else {}

        # The gap is flagged to the council's SEND team too (it fails where, as here, the
        # council gave no team mailbox).
        assert (await _until(settled, "the gap flagged to the council"))["service-gap"]

        # Closing a referral (the child moved away) ends its allocations through Kafka, and
        # the place goes to the child waiting.
        now = (await specialists.get("/v1/registry", params={"local_authority": BRADFORD})).json()
        for entry in [e for e in now if e["id"] in original]:
            await set_capacity(entry, entry["allocated"])  # no place free
        newcomer = await create(_body())
        await _until(lambda: slt_waiting(newcomer, deadline=False), "the newcomer waiting")
        closed = await referrals.post(
            f"/v1/referrals/{support}/close", json={"reason": "child_moved"}
        )
        assert closed.status_code == 200, closed.text
        await wait_for_timeline(referrals, support, ("allocation_ended",))
        assert await _until(functools.partial(slt_allocation, newcomer), "the newcomer's place")
        assert await slt_allocation(support) is None
        again = await referrals.post(
            f"/v1/referrals/{support}/close", json={"reason": "child_moved"}
        )
        assert again.status_code == 409
        ehc = await referrals.post(
            f"/v1/referrals/{sooner}/close", json={"reason": "family_declined"}
        )
        assert ehc.status_code == 409  # its statutory process is still running
    finally:
        for entry in teams:
            await set_capacity(entry, original[entry["id"]]["capacity"])
        for client in (referrals, specialists, notifications):
            await client.aclose()


async def _has(templates: Awaitable[list[str]], template: str) -> bool:
    return template in await templates


async def _has_all(templates: Awaitable[list[str]], *wanted: str) -> bool:
    return set(wanted) <= set(await templates)
