"""`make bench` and `make soak` send the families' messages through a local GOV.UK Notify of the
run's own (rate limit lifted, receipts posted back to the run's notifications service), so a
referral's figures include the Notify round trip and the delivery receipt a real council pays
for; ``--notify log`` keeps the log channel of earlier runs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest
from notifications.config import NotificationsSettings
from notifications_python_client.notifications import NotificationsAPIClient

from devtools.local_notify import DEV_API_KEY, LocalNotify, template_id
from scripts.bench import messaging
from scripts.bench.cpu import NOTIFY
from scripts.bench.drain import drain_phase
from scripts.bench.journeys import DELIVERED, JOURNEY_END
from scripts.bench.stack import bench_platform
from scripts.bench.traffic import OffsetReader
from scripts.local_notify import LocalNotifyServer
from scripts.platform import free_port
from shared.migrations import owner_connection
from tests.conftest import Infrastructure

DEFAULT_RATE_LIMIT = 3000
"""GOV.UK Notify's own: 3,000 messages a minute per key."""


def test_the_bench_and_the_soak_go_through_notify_unless_told_log() -> None:
    from scripts.bench.__main__ import parse
    from scripts.bench.soak import parse as parse_soak

    assert parse([]).notify == parse_soak([]).notify == messaging.THROUGH_NOTIFY
    assert parse(["--notify", "log"]).notify == parse_soak(["--notify", "log"]).notify == "log"
    assert "local GOV.UK Notify" in messaging.channel(parse([]).notify)
    assert "log channel" in messaging.channel("log")


async def test_a_short_drain_goes_through_the_runs_own_notify_to_the_delivered_alert(
    infrastructure: Infrastructure,
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    # The tests' cluster, not the bench's durable one (`bench_postgres_url`): this checks where
    # the messages go, not durable commits, and migrating five databases with every commit
    # flushed took most of the test's time.
    async with bench_platform(infrastructure.postgres_url, kafka, {}, through_notify=True) as bench:
        notify = bench.notify
        assert notify is not None
        assert notify.process is not None
        council = json.loads(bench.platform.env["COUNCIL_MESSAGING"])["*"]
        assert council["notify_base_url"] == notify.url
        assert {council[c] for c in ("email", "sms", "letter")} == {"notify"}
        assert council["quiet_hours"] is None
        assert notify.callback_url == (
            f"{bench.platform.url('notifications')}{messaging.RECEIPTS_PATH}"
        )
        assert notify.counts()["rate_limit"] == messaging.UNLIMITED
        assert notify.log_dir == bench.log_dir
        assert (bench.log_dir / "local-notify.log").exists()
        # Its CPU is read under a label of its own: load, not the services'.
        assert bench.meter(bench=os.getpid()).processes[NOTIFY] == notify.process.pid

        conn = await owner_connection(bench.urls["referrals"])
        reader = OffsetReader(kafka, bench.kafka.namespace)
        await reader.start()
        try:
            # Samples 0-2: emails (sample 3's text goes to Notify's simulated failure).
            result = await drain_phase(bench, reader, conn, 3, timeout_s=60)
        finally:
            await reader.close()
            await conn.close()
        delivered_to = {
            m.get("email_address") for m in notify.inbox() if m["status"] == "delivered"
        }
        url = notify.url
    assert result.completed == result.steps[JOURNEY_END].count == 3
    assert result.steps[DELIVERED].count == 3
    assert result.steps[DELIVERED].p50 > 400  # two statuses of 0.2 s after it was taken
    # The receipt of the second message (the match), not of the first: after it was sent.
    assert result.steps[DELIVERED].p50 > result.steps[JOURNEY_END].p50
    assert result.steps[DELIVERED].max > result.steps[JOURNEY_END].max
    assert {"parent0@example.org", "parent1@example.org", "parent2@example.org"} <= delivered_to
    assert result.cpu_s[NOTIFY] > 0
    # Stopped with the run.
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{url}/counts.json")


def test_the_runs_notify_takes_more_than_notifys_own_limit_and_logs_in_the_runs_folder(
    tmp_path: Path,
) -> None:
    notify = messaging.run_notify("http://127.0.0.1:1", free_port(), tmp_path)
    notify.start()
    try:
        assert notify.counts()["rate_limit"] == messaging.UNLIMITED > DEFAULT_RATE_LIMIT
        assert notify.callback_url == f"http://127.0.0.1:1{messaging.RECEIPTS_PATH}"
        env = messaging.messaging_env(notify)
        council = json.loads(env["COUNCIL_MESSAGING"])["*"]
        assert council["notify_base_url"] == notify.url
        # The services' own pacing of the key is lifted too: at Notify's 3,000 a minute the
        # sender would let 50 messages a second go, whatever the platform could do.
        paced = NotificationsSettings.model_validate(
            {name.lower(): value for name, value in env.items() if name.startswith("NOTIFY_")}
        )
        assert paced.notify_rate_limit_per_minute == messaging.UNLIMITED > DEFAULT_RATE_LIMIT
        took = messaging.notify_usage(notify, {}, 1.0)
        assert took == "  local Notify: 0 messages, 0 receipts posted, 0 refused (429)"
    finally:
        notify.stop()
    assert (tmp_path / "local-notify.log").exists()


def test_notifys_own_limit_stays_for_everyone_else() -> None:
    assert LocalNotifyServer(callback_url="http://127.0.0.1:1").rate_limit is None
    assert LocalNotify().rate_limit == DEFAULT_RATE_LIMIT


def test_the_log_channel_has_no_notify_and_no_quiet_hours() -> None:
    assert json.loads(messaging.messaging_env(None)["COUNCIL_MESSAGING"]) == {
        "*": {"quiet_hours": None}
    }


def test_the_runs_notify_can_answer_after_a_real_providers_round_trip(tmp_path: Path) -> None:
    from scripts.bench.__main__ import parse
    from scripts.bench.soak import parse as parse_soak

    assert parse([]).notify_answer_ms == parse_soak([]).notify_answer_ms == 0
    assert parse(["--notify-answer-ms", "150"]).notify_answer_ms == 150
    assert parse_soak(["--notify-answer-ms", "150"]).notify_answer_ms == 150
    notify = messaging.run_notify("http://127.0.0.1:1", free_port(), tmp_path, answer_after_s=0.3)
    notify.start()
    try:
        assert "answering each message 300 ms after taking it" in messaging.describe(notify)
        client = NotificationsAPIClient(DEV_API_KEY, notify.url)  # type: ignore[no-untyped-call]  # the official client has no types
        started = time.monotonic()
        sent = client.send_email_notification(  # type: ignore[no-untyped-call]  # as above
            "ann@example.org", template_id("request-received", "email"),
            {"reference": "AB12CD34", "link": "https://x/1", "received_on": "5 January 2026",
             "who": "you"},
        )  # fmt: skip
        took_s = time.monotonic() - started
    finally:
        notify.stop()
    assert sent["id"]
    assert took_s >= 0.3  # held for the round trip it was given, then answered
    assert "answering" not in messaging.describe(
        messaging.run_notify("http://127.0.0.1:1", free_port(), tmp_path)
    )
