"""The NHS partners' consumer on real PostgreSQL, a record at a time (no Kafka: the records are
handed to it as the broker would, its dead letters caught): every rejection is dead-lettered,
an unexpected failure never blocks the partition, a redelivery changes nothing, a partner's
own topic proves who wrote on it, and a partner learns nothing of a child it did not refer (its
referral is held for a caseworker to match, answered as any other)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from referrals.config import ReferralsSettings
from referrals.partner_example import example_bundle, partner_record
from referrals.partners import PartnerIntake, Wiring

from scripts.platform import IdentityProvider, migrations_of
from shared.consumption import EventConsumption
from shared.dates import london_today
from shared.events import PartnerReferralAnswered, PlanDrafted, wrap
from shared.migrations import owner_connection
from shared.state import service_state
from tests.conftest import Databases
from tests.events import sample_event
from tests.integration.referrals_app import (
    LEEDS,
    handled,
    nhs_number,
    referral_body,
    referrals_service,
    signed_in,
)

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
        work=service_state(app).work,
        registry=registry,
        retry_backoff_s=0.01,
        outage_backoff_s=0.01,
    )
    wiring = Wiring(service_state(app).work, consumption, dead_letters.publish)
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
    """The answers to ``request_id``, each checked to be on its partner's own topic."""
    conn = await owner_connection(owner_url)
    try:
        rows = await conn.fetch(
            "SELECT topic, envelope FROM outbox WHERE topic LIKE $1 AND key = $2 ORDER BY id",
            "nhs.referrals.outcome.%",
            request_id,
        )
    finally:
        await conn.close()
    answers = [json.loads(r["envelope"])["data"] for r in rows]
    for row, answer in zip(rows, answers, strict=True):
        assert row["topic"] == PartnerReferralAnswered.topic_of(answer["partner"])
    return answers


async def _rows(owner_url: str, sql: str, *args: Any) -> list[Any]:
    conn = await owner_connection(owner_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def _count(owner_url: str, sql: str, *args: Any) -> int:
    conn = await owner_connection(owner_url)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


def _given_to(partner: str, request_id: str) -> str:
    """The id a partner's request is given, taken in or held: never another referral's."""
    return str(uuid5(NAMESPACE_URL, f"nhs-partner:{partner}:{request_id}"))


OTHER_DETAILS: dict[str, dict[str, Any]] = {
    "the same details": {},
    "another name": {"given": "Someoneelse"},
    "another birth date": {"born": date(2019, 2, 3)},
}


@pytest.mark.parametrize("case", list(OTHER_DETAILS))
async def test_a_child_another_partner_referred_is_accepted_and_held_naming_nothing(
    case: str, consumer: Consumer, owner_url: str
) -> None:
    marker, number = uuid4().hex[:8], nhs_number(int(uuid4().int % 10**6))
    child: dict[str, Any] = {
        "nhs_number": number,
        "given": f"Given{marker}",
        "family": f"Family{marker}",
    }
    first = f"SR-{uuid4().hex}"
    leeds = consumer.record(first, example_bundle(**child), partner="leeds-community-paediatrics",
                            topic=LEEDS_OWN_TOPIC)  # fmt: skip
    await consumer.intake.take(leeds, consumer.wiring)
    (accepted,) = await _answers(owner_url, first)
    known = accepted["resource"]["identifier"][0]["value"]

    request_id = f"SR-{uuid4().hex}"
    bundle = example_bundle(**{**child, **OTHER_DETAILS[case]})
    await consumer.intake.take(consumer.record(request_id, bundle), consumer.wiring)
    # Republished (a new record): the partner's own answer again, nothing new.
    await consumer.intake.take(consumer.record(request_id, bundle), consumer.wiring)

    answers = await _answers(owner_url, request_id)
    assert [a["outcome"] for a in answers] == ["accepted", "accepted"]
    assert answers[0] == answers[1]
    given = _given_to("west-yorkshire-slt", request_id)
    assert answers[0]["referral_id"] == given
    assert answers[0]["resource"]["identifier"][0]["value"] == given
    assert known not in json.dumps(answers)
    assert consumer.dead_letters.published == []  # taken in: held, not rejected
    held = await _rows(owner_url, "SELECT * FROM held_referrals WHERE id = $1::uuid", given)
    assert [(h["reason"], str(h["suspected_referral_id"])) for h in held] == [
        ("already-referred", known)
    ]
    audited = await _rows(
        owner_url,
        "SELECT actor, action FROM audit_log WHERE referral_id = $1::uuid "
        "AND resource = 'held-referral'",
        known,
    )
    assert [tuple(a) for a in audited] == [("partner:west-yorkshire-slt", "create")]


async def test_a_known_nhs_number_whose_referral_is_closed_is_not_confirmed_over_kafka(
    consumer: Consumer, owner_url: str, app: FastAPI, identity: IdentityProvider
) -> None:
    number = nhs_number(int(uuid4().int % 10**6))
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        created = await caseworker.post(
            "/v1/referrals", json=referral_body(track="ehc", nhs_number=number)
        )
        known = created.json()["id"]
        refused = await caseworker.post(
            f"/v1/referrals/{known}/assessment-decision",
            json={"decision": "refuse", "decided_on": str(london_today()),
                  "reason": "needs_met_from_available_provision"},
        )  # fmt: skip
        assert refused.status_code == 200, refused.text
    request_id = f"SR-{uuid4().hex}"
    await consumer.intake.take(
        consumer.record(request_id, _bundle(nhs_number=number)), consumer.wiring
    )
    (answer,) = await _answers(owner_url, request_id)
    assert answer["outcome"] == "accepted"
    assert known not in json.dumps(answer)
    assert "known" not in json.dumps(answer)
    given = _given_to("west-yorkshire-slt", request_id)
    held = await _rows(owner_url, "SELECT reason FROM held_referrals WHERE id = $1::uuid", given)
    assert [h["reason"] for h in held] == ["child-details-differ"]


async def test_joined_to_a_referral_a_partner_hears_its_milestones_under_its_own_id(
    consumer: Consumer, owner_url: str, app: FastAPI, identity: IdentityProvider
) -> None:
    bundle = _bundle()
    first, second = f"SR-{uuid4().hex}", f"SR-{uuid4().hex}"
    await consumer.intake.take(
        consumer.record(first, bundle, partner="leeds-community-paediatrics",
                        topic=LEEDS_OWN_TOPIC), consumer.wiring,
    )  # fmt: skip
    known = _given_to("leeds-community-paediatrics", first)
    await consumer.intake.take(consumer.record(second, bundle), consumer.wiring)
    given = _given_to("west-yorkshire-slt", second)
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        joined = await caseworker.post(
            f"/v1/held-referrals/{given}/decision", json={"decision": "join"}
        )
        assert joined.status_code == 200, joined.text

    drafted = sample_event(PlanDrafted, UUID(known))
    message = wrap(drafted, source="/send-platform/plans", local_authority=LEEDS)
    told = await handled(app, message)
    by_partner = {e.partner: e for e in told if isinstance(e, PartnerReferralAnswered)}
    assert set(by_partner) == {"leeds-community-paediatrics", "west-yorkshire-slt"}
    update = by_partner["west-yorkshire-slt"]
    assert (update.outcome, update.request_id) == ("progressed", second)
    assert str(update.referral_id) == given
    assert update.resource["identifier"][0]["value"] == given
    assert known not in update.model_dump_json()
    assert str(by_partner["leeds-community-paediatrics"].referral_id) == known


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


@pytest.mark.parametrize(
    "claimed",
    [
        "leeds-community-paediatrics",  # it has a topic of its own: anyone may claim it here
        "st-elsewhere",  # not a partner the platform knows: it has no outcome topic
    ],
)
async def test_on_the_shared_topic_an_unverified_claim_is_dead_lettered_and_answered_to_nobody(
    claimed: str, consumer: Consumer, owner_url: str
) -> None:
    request_id = f"SR-{uuid4().hex}"
    for mode in ("binary", "structured"):
        record = consumer.record(request_id, _bundle(), partner=claimed, mode=mode)
        await consumer.intake.take(record, consumer.wiring)
    assert await _answers(owner_url, request_id) == []  # on no partner's topic
    assert len(consumer.dead_letters.published) == 2
    for _, _, headers in consumer.dead_letters.published:
        assert headers["dlq-reason"].startswith("CloudEvent.source: ")


async def test_each_partner_is_answered_on_its_own_outcome_topic(
    consumer: Consumer, owner_url: str
) -> None:
    shared, own = f"SR-{uuid4().hex}", f"SR-{uuid4().hex}"
    await consumer.intake.take(consumer.record(shared, _bundle()), consumer.wiring)
    await consumer.intake.take(
        consumer.record(own, _bundle(), partner="leeds-community-paediatrics",
                        topic=LEEDS_OWN_TOPIC), consumer.wiring,
    )  # fmt: skip
    topics = await _rows(
        owner_url, "SELECT key, topic FROM outbox WHERE key = ANY($1::text[])", [shared, own]
    )
    assert {(t["key"], t["topic"]) for t in topics} == {
        (shared, "nhs.referrals.outcome.west-yorkshire-slt.v1"),
        (own, "nhs.referrals.outcome.leeds-community-paediatrics.v1"),
    }
