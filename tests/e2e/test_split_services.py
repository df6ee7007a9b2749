"""A platform with two services each run as two processes (``PROCESS_PARTS``, #25), as the
bench's ``--split`` and the chart's ``processes`` run them: notifications' sender apart
(``notifications:workers``) and referrals' intake apart from its pipeline
(``referrals:consumers,workers``). A referral's journey goes through to the family's messages
sent through GOV.UK Notify (the local one) and delivered; each process says in its log, and
shows in its metrics, what it ran; every process stops by itself when told.

A platform of its own (its databases, Kafka namespace, ports and Notify), without the
workspace, which the journey does not need."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from devtools.dev_identity import fetch_token
from scripts.local_notify import LocalNotifyServer
from scripts.platform import IdentityProvider, Platform, Split, database_env, free_port
from shared.services import SERVICES
from shared.settings import KafkaSettings
from shared.topics import delete_namespace, ensure_topics
from tests import namespaces
from tests.conftest import Databases, Infrastructure
from tests.e2e.conftest import JOURNEY, wait_for_timeline
from tests.events import referral_request

SPLITS = (Split.parse("notifications:workers"), Split.parse("referrals:consumers,workers"))
RAN = {
    "notifications": "consumers, relay",
    "notifications-workers": "workers",
    "referrals": "relay",
    "referrals-consumers-workers": "consumers, workers",
    "plans": "consumers, relay, workers",  # not split: the whole service
    "specialists": "consumers, relay, workers",
}
"""What each process runs besides its HTTP routes, as its log says."""


def samples(text: str) -> Iterator[tuple[str, dict[str, str], float]]:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            yield sample.name, sample.labels, sample.value


def consumed(metrics: str) -> float:
    """Events this process's consumers have taken and handled."""
    return sum(
        value
        for name, labels, value in samples(metrics)
        if name == "send_events_consumed_total" and labels.get("outcome") == "processed"
    )


def relaying(metrics: str) -> bool:
    return any(
        name == "send_outbox_relay_leader" and value == 1 for name, _, value in samples(metrics)
    )


async def test_a_journey_through_split_services_reaches_the_family_and_every_process_stops(
    infrastructure: Infrastructure,
    databases: Databases,
    identity: IdentityProvider,
    tmp_path: Path,
) -> None:
    kafka = KafkaSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        namespace=namespaces.namespace("split"),
    )
    await ensure_topics(kafka)
    urls = await databases.fresh_for_services("split")
    ports = {service: free_port() for service in SERVICES if service != "web"}
    notify = LocalNotifyServer(
        callback_url=f"http://127.0.0.1:{ports['notifications']}/v1/notify/receipts",
        port=free_port(),
        log_dir=tmp_path,
    )
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.kafka_bootstrap_servers,
        "SEND_NAMESPACE": kafka.namespace,
        **identity.service_env(),
        **database_env(urls),
        **notify.service_env(),
    }
    platform = Platform(log_dir=tmp_path, env=env, ports=ports)
    for split in SPLITS:
        platform.split(split, free_port())
    notify.start()
    try:
        platform.start()
        token = await fetch_token(identity.issuer, "leeds-caseworker")
        async with httpx.AsyncClient(
            base_url=platform.url("referrals"),
            timeout=10,
            headers={"Authorization": f"Bearer {token}"},
        ) as referrals:
            created = await referrals.post("/v1/referrals", json=referral_request())
            assert created.status_code == 201, created.text
            referral_id = created.json()["id"]
            await wait_for_timeline(referrals, referral_id, JOURNEY)
            told = (
                await referrals.get(
                    f"{platform.url('notifications')}/v1/referrals/{referral_id}/notifications"
                )
            ).json()
            metrics = {
                process: (await referrals.get(f"{platform.url(process)}/metrics")).text
                for process in RAN
            }
    finally:
        exit_codes = platform.stop()
        notify.stop()
        await delete_namespace(kafka)

    family = [(m["template"], m["status"], m["channel"]) for m in told if m["audience"] == "family"]
    assert family == [
        ("request-received", "delivered", "email"),
        ("specialist-assigned", "delivered", "email"),
    ]
    for process, parts in RAN.items():
        log = (tmp_path / f"{process}.log").read_text()
        assert f"running: HTTP routes, {parts}" in log, process
        # Taking events and relaying the outbox: each where told, nowhere else.
        assert (consumed(metrics[process]) > 0) == ("consumers" in parts), process
        assert relaying(metrics[process]) == ("relay" in parts), process
    # SIGTERM: each finished its work and exited by itself (uvicorn re-raises the signal: -15);
    # -9 would mean it had to be killed.
    assert exit_codes == dict.fromkeys(platform.ports, -signal.SIGTERM)
