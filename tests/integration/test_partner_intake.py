"""The NHS partners' consumer on real PostgreSQL, a record at a time (no Kafka: the records are
handed to it as the broker would, its dead letters caught): every rejection is dead-lettered,
an unexpected failure never blocks the partition, a redelivery changes nothing, and a partner's
own topic proves who wrote on it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from referrals.config import ReferralsSettings
from referrals.partner_example import example_bundle, partner_record
from referrals.partners import PartnerIntake, Wiring

from scripts.platform import IdentityProvider, migrations_of
from shared.consumption import EventConsumption
from shared.events import PartnerReferralAnswered
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import nhs_number, referrals_service

LEEDS_OWN_TOPIC = "nhs.referrals.inbound.leeds-community-paediatrics.v1"
SETTINGS: dict[str, Any] = {
    "accept_test_nhs_numbers": True,
    "partner_topics": {"leeds-community-paediatrics": LEEDS_OWN_TOPIC},
}


@dataclass
class Record:
    """What aiokafka hands the consumer: one ConsumerRecord's fields."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass
class DeadLetters:
    published: list[tuple[bytes, bytes | None, dict[str, str]]] = field(default_factory=list)

    async def publish(self, value: bytes, *, key: bytes | None, headers: dict[str, str]) -> None:
        self.published.append((value, key, headers))


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("partners", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, **SETTINGS) as running:
        yield running


@dataclass
class Consumer:
    intake: PartnerIntake
    wiring: Wiring
    dead_letters: DeadLetters
    registry: CollectorRegistry
    offsets: int = 0

    def record(self, request_id: str, data: Any, *, topic: str | None = None, **kw: Any) -> Record:
        message = partner_record(data, request_id=request_id, **kw)
        self.offsets += 1
        return Record(
            topic=topic or self.intake.topic,
            partition=0,
            offset=self.offsets + int(uuid4().int % 10**9),
            key=request_id.encode(),
            value=message.value,
            headers=list(message.headers.items()),
        )

    def dead_lettered(self, exception: str) -> float:
        found = self.registry.get_sample_value(
            "send_dead_lettered_total", {"topic": self.intake.topic, "exception": exception}
        )
        return found or 0.0


@pytest.fixture
def consumer(app: FastAPI) -> Consumer:
    intake = PartnerIntake(ReferralsSettings(**SETTINGS))
    registry = CollectorRegistry()
    dead_letters = DeadLetters()
    consumption = EventConsumption(
        service="referrals",
        namespace="",
        outbox=app.state.outbox,
        pool=app.state.database.pool,
        registry=registry,
        retry_backoff_s=0.01,
        outage_backoff_s=0.01,
    )
    wiring = Wiring(app.state.database, app.state.outbox, consumption, dead_letters.publish)
    return Consumer(intake, wiring, dead_letters, registry)


def _bundle(**changes: Any) -> dict[str, Any]:
    marker = uuid4().hex[:8]
    return example_bundle(
        nhs_number=changes.pop("nhs_number", nhs_number(int(uuid4().int % 10**6))),
        given=f"Given{marker}",
        family=f"Family{marker}",
        **changes,
    )


async def _answers(owner_url: str, request_id: str) -> list[dict[str, Any]]:
    conn = await owner_connection(owner_url)
    try:
        rows = await conn.fetch(
            "SELECT envelope FROM outbox WHERE topic = $1 AND key = $2 ORDER BY id",
            PartnerReferralAnswered.topic(),
            request_id,
        )
    finally:
        await conn.close()
    return [json.loads(r["envelope"])["data"] for r in rows]


async def _count(owner_url: str, sql: str, *args: Any) -> int:
    conn = await owner_connection(owner_url)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


async def test_a_child_already_referred_is_rejected_and_dead_lettered_naming_no_value(
    consumer: Consumer, owner_url: str
) -> None:
    bundle = _bundle()
    first, second = f"SR-{uuid4().hex}", f"SR-{uuid4().hex}"
    await consumer.intake.take(consumer.record(first, bundle), consumer.wiring)
    assert [a["outcome"] for a in await _answers(owner_url, first)] == ["accepted"]
    assert consumer.dead_letters.published == []

    again = consumer.record(second, bundle)  # the same child, another request
    await consumer.intake.take(again, consumer.wiring)
    (answer,) = await _answers(owner_url, second)
    assert answer["outcome"] == "rejected"
    assert answer["resource"]["issue"][0]["expression"] == ["ServiceRequest.subject"]
    ((value, key, headers),) = consumer.dead_letters.published
    assert (value, key) == (again.value, again.key)
    assert headers["dlq-reason"] == "ServiceRequest.subject: already-referred"
    assert headers["dlq-exception"] == "Refused"
    assert headers["dlq-original-offset"] == str(again.offset)
    assert consumer.dead_lettered("Refused") == 1
    assert (
        await _count(
            owner_url, "SELECT count(*) FROM partner_requests WHERE request_id = $1", second
        )
        == 0
    )


async def test_an_unexpected_failure_is_dead_lettered_once_and_answered_not_retried_forever(
    consumer: Consumer, owner_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0

    async def broken(*_: Any, **__: Any) -> Any:
        nonlocal calls
        calls += 1
        raise KeyError("a bug")

    monkeypatch.setattr("referrals.partners.take_in", broken)
    request_id = f"SR-{uuid4().hex}"
    record = consumer.record(request_id, _bundle())
    await consumer.intake.take(record, consumer.wiring)  # returns: the offset is committed

    assert calls == 1  # permanent: never tried again
    ((value, _, headers),) = consumer.dead_letters.published
    assert value == record.value
    assert headers["dlq-exception"] == "KeyError"
    assert headers["dlq-reason"] == "unexpected KeyError"
    assert headers["dlq-attempts"] == "1"
    (answer,) = await _answers(owner_url, request_id)
    assert answer["outcome"] == "rejected"
    (issue,) = answer["resource"]["issue"]
    assert issue["code"] == "exception"
    assert consumer.dead_lettered("KeyError") == 1
    # Delivered again (the broker did not see the commit): nothing more happens.
    await consumer.intake.take(record, consumer.wiring)
    assert calls == 1
    assert len(await _answers(owner_url, request_id)) == 1


async def test_the_same_delivery_twice_makes_one_referral_and_one_answer(
    consumer: Consumer, owner_url: str
) -> None:
    request_id = f"SR-{uuid4().hex}"
    record = consumer.record(request_id, _bundle())
    await consumer.intake.take(record, consumer.wiring)
    await consumer.intake.take(record, consumer.wiring)  # same topic, partition and offset

    (answer,) = await _answers(owner_url, request_id)
    assert answer["outcome"] == "accepted"
    referral_id = answer["resource"]["identifier"][0]["value"]
    assert (
        await _count(
            owner_url, "SELECT count(*) FROM partner_requests WHERE request_id = $1", request_id
        )
        == 1
    )
    assert await _count(owner_url, "SELECT count(*) FROM referrals WHERE id = $1::uuid",
                        referral_id) == 1  # fmt: skip
    assert consumer.dead_letters.published == []


async def test_on_a_partners_own_topic_a_message_claiming_another_partner_is_refused(
    consumer: Consumer, owner_url: str
) -> None:
    impostor, honest = f"SR-{uuid4().hex}", f"SR-{uuid4().hex}"
    claim = consumer.record(impostor, _bundle(), partner="west-yorkshire-slt",
                            topic=LEEDS_OWN_TOPIC)  # fmt: skip
    await consumer.intake.take(claim, consumer.wiring)
    (answer,) = await _answers(owner_url, impostor)
    assert answer["outcome"] == "rejected"
    assert answer["partner"] == "leeds-community-paediatrics"  # the topic's owner: who wrote it
    assert answer["resource"]["issue"][0]["expression"] == ["CloudEvent.source"]
    ((_, _, headers),) = consumer.dead_letters.published
    assert headers["dlq-original-topic"] == LEEDS_OWN_TOPIC
    assert headers["dlq-reason"].startswith("CloudEvent.source: ")

    own = consumer.record(honest, _bundle(), partner="leeds-community-paediatrics",
                          topic=LEEDS_OWN_TOPIC)  # fmt: skip
    await consumer.intake.take(own, consumer.wiring)
    assert [a["outcome"] for a in await _answers(owner_url, honest)] == ["accepted"]


async def test_a_partner_with_a_topic_of_its_own_is_refused_on_the_shared_topic(
    consumer: Consumer, owner_url: str
) -> None:
    request_id = f"SR-{uuid4().hex}"
    record = consumer.record(request_id, _bundle(), partner="leeds-community-paediatrics")
    await consumer.intake.take(record, consumer.wiring)
    (answer,) = await _answers(owner_url, request_id)
    assert answer["outcome"] == "rejected"
    assert answer["resource"]["issue"][0]["expression"] == ["CloudEvent.source"]
    assert len(consumer.dead_letters.published) == 1
