"""An EHC needs assessment request across the running platform: support starts at once (plan,
specialist, family told) while the statutory process runs on its clock; each step is an event
on Kafka, and the scheduler reports a missed deadline by itself."""

from __future__ import annotations

import json
from datetime import date, timedelta

import httpx

from scripts.platform import Platform
from tests.e2e.conftest import JOURNEY, wait_for_timeline
from tests.e2e.test_journey import referral_body
from tests.integration.conftest import read_topic


async def test_an_ehc_request_gets_support_at_once_and_its_statutory_steps_on_kafka(
    referrals_api: httpx.AsyncClient, platform: Platform, today: date
) -> None:
    received = today - timedelta(weeks=7)  # the 6-week decision is already late
    body = {**referral_body(), "track": "ehc", "received_on": str(received)}
    body["child"] = {**body["child"], "nhs_number": None}
    created = await referrals_api.post("/v1/referrals", json=body)
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    assert created.json()["track"] == "ehc"

    steps = (*JOURNEY, "ehc_assessment_requested", "deadline_missed")
    referral = await wait_for_timeline(referrals_api, referral_id, steps)
    assert referral["status"] == "specialist_assigned"  # support did not wait for the law
    missed = [t["detail"] for t in referral["timeline"] if t["step"] == "deadline_missed"]
    assert missed == ["decision"]
    assert referral["ehc"]["stage"] == "assessment_requested"

    decided = await referrals_api.post(
        f"/v1/referrals/{referral_id}/assessment-decision",
        json={"decision": "assess", "decided_on": str(today)},
    )
    assert decided.status_code == 200, decided.text
    decision = {d["kind"]: d for d in decided.json()["deadlines"]}["decision"]
    assert (decision["state"], decision["met_on"]) == ("missed", str(today))

    namespace = platform.env["SEND_NAMESPACE"]
    bootstrap = platform.env["KAFKA_BOOTSTRAP_SERVERS"]
    for topic, check in (
        ("referrals.assessment-decided.v1", lambda d: d["on_time"] is False),
        ("referrals.deadline-missed.v1", lambda d: d["deadline"] == "decision"),
    ):
        # The topic holds other tests' events too: wait for this referral's.
        records = await read_topic(bootstrap, f"{namespace}{topic}", 1, key=referral_id)
        mine = [json.loads(r.value)["data"] for r in records]
        assert check(mine[0]), (topic, mine)
