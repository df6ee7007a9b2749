"""NHS partners' referrals: FHIR in CloudEvents on ``nhs.referrals.inbound.v1``, each answered
once on ``nhs.referrals.outcome.v1``.

A consumer of its own (partners' messages are not the platform's envelope): each record is
read with the CloudEvents SDK's Kafka binding (binary or structured mode), its partner checked
against ``PARTNER_COUNCILS``, its FHIR read (``referrals.fhir_bundle``) into the body of
``POST /v1/referrals`` and taken in by the one intake path (``referrals.taking_in``). In one
transaction: the record in the inbox (by topic, partition and offset: a redelivery does
nothing), the referral, the partner's request identifier with its answer (a republished request
makes no second referral and gets the same answer), and the answer in the outbox. A message
that cannot become a referral is answered (when its partner is known) and kept on
``<topic>.dlq`` with the reason: FHIRPaths and reasons, never a value. A database outage leaves
the offset, so the message comes again: it is never turned into a rejection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from cloudevents.core.bindings.kafka import KafkaMessage as CloudEventRecord
from cloudevents.core.bindings.kafka import from_kafka
from cloudevents.core.formats.json import JSONFormat
from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import ValidationError

from referrals.config import ReferralsSettings
from referrals.fhir_bundle import Problem, Rejected, read_bundle, rejected, task, where
from referrals.intake import london_today
from referrals.schemas import ReferralRequest
from referrals.taking_in import Refused, new_referral, rule_problems, rules_of, take_in
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.councils import act_for
from shared.db import Connection, Database
from shared.events import PartnerReferralAnswered
from shared.failures import Failure, classify
from shared.outbox import Outbox
from shared.topics import dead_letter_topic

logger = logging.getLogger(__name__)


@dataclass
class Inbound:
    """What a partner's record says, as far as it could be read."""

    request_id: str
    partner: str | None = None
    council: str | None = None
    body: ReferralRequest | None = None
    problems: list[Problem] = field(default_factory=list)


def partner_of(source: str) -> str:
    """The partner's client id: the CloudEvent ``source``'s last path segment
    (``/nhs/partners/west-yorkshire-slt`` -> ``west-yorkshire-slt``)."""
    return source.rstrip("/").rsplit("/", 1)[-1]


def read(
    headers: dict[str, bytes], key: bytes | None, value: bytes, settings: ReferralsSettings
) -> Inbound:
    """Read one partner record; pure. ``problems`` empty means it can be taken in."""
    inbound = Inbound(request_id=key.decode(errors="replace") if key else "")
    source = headers.get("ce_source")  # binary mode: known even when the data is unreadable
    if source is not None:
        inbound.partner = partner_of(source.decode(errors="replace"))
    try:
        event = from_kafka(CloudEventRecord(headers=headers, key=key, value=value), JSONFormat())
    except Exception as exc:  # the SDK raises many kinds, all meaning "not readable"
        inbound.problems = [
            ("CloudEvent", f"not a CloudEvent with JSON data ({type(exc).__name__})")
        ]
        return inbound
    inbound.partner = partner_of(str(event.get_source()))
    inbound.request_id = inbound.request_id or str(event.get_id())
    councils = settings.partner_councils.get(inbound.partner)
    if councils is None:
        inbound.problems = [("CloudEvent.source", "not a partner this platform knows")]
        return inbound
    council = event.get_extension("localauthority")
    if not isinstance(council, str) or council not in councils:
        inbound.problems = [
            ("CloudEvent.localauthority", "must name a council this partner may refer to")
        ]
        return inbound
    inbound.council = council
    try:
        referral = read_bundle(event.get_data())
        referral.body["local_authority"] = council
        body = ReferralRequest.model_validate(referral.body)
    except Rejected as exc:
        inbound.problems = exc.problems
        return inbound
    except ValidationError as exc:
        inbound.problems = [
            (where(tuple(e["loc"])), e["msg"].removeprefix("Value error, ")) for e in exc.errors()
        ]
        return inbound
    problems = rule_problems(rules_of(settings), body, london_today())
    inbound.problems = [(where(loc), why) for loc, why in problems]
    inbound.body = body if not problems else None
    return inbound


class PartnerIntake:
    """Subscribes the partners' consumer on the referrals service's router."""

    def __init__(self, settings: ReferralsSettings) -> None:
        self.settings = settings
        self.topic = settings.partner_inbound_topic
        self.consumer = f"referrals.{self.topic}"

    def subscribe(self, router: KafkaRouter, database: Database, outbox: Outbox) -> None:
        dead_letters = router.publisher(
            dead_letter_topic(self.topic),
            title=f"{dead_letter_topic(self.topic)}:referrals",
            description="NHS partners' messages that could not become a referral, as they "
            "came, with headers saying why (dlq-reason: FHIRPaths and reasons, never a value)",
        )

        async def raw(msg: StreamMessage[Any]) -> Any:
            return msg.body  # the CloudEvents SDK reads it, in either content mode

        @router.subscriber(
            self.topic,
            group_id=f"{self.settings.namespace}{self.consumer}",
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,  # commit only after the transaction
            decoder=raw,
            title=f"{self.topic}:referrals",
            description="NHS partners' referrals: a FHIR R4 message Bundle (MessageHeader -> "
            "ServiceRequest, Patient, Organization, RelatedPerson) in a CloudEvent, binary "
            "(ce_* headers) or structured (application/cloudevents+json) mode; the Kafka key is "
            "the partner's request identifier; the CloudEvent source ends in the partner's "
            "client id and its localauthority extension names the council",
        )
        async def partner_referral(body: bytes, message: KafkaMessage) -> None:
            record: Any = message.raw_message  # one aiokafka ConsumerRecord (not a batch)
            inbound = read(dict(record.headers), record.key, body, self.settings)
            if inbound.problems:
                reason = "; ".join(f"{w}: {why}" for w, why in inbound.problems)[:1000]
                headers = {k: v.decode(errors="replace") for k, v in record.headers}
                headers.update(
                    {
                        "dlq-reason": reason,
                        "dlq-exception": "Rejected",
                        "dlq-attempts": "1",
                        "dlq-consumer": "referrals",
                        "dlq-original-topic": record.topic,
                        "dlq-original-partition": str(record.partition),
                        "dlq-original-offset": str(record.offset),
                    }
                )
                # Before the answer's transaction: a crash between the two keeps the message
                # (it comes again), never an answer without its dead letter.
                await dead_letters.publish(body, key=record.key, headers=headers)
                logger.warning(
                    "partner message %s[%s]@%s rejected (%d problems)",
                    record.topic,
                    record.partition,
                    record.offset,
                    len(inbound.problems),
                )
            if inbound.partner is None:
                return  # nobody to answer: the dead letter is all there is
            delivery = uuid5(NAMESPACE_URL, f"{record.topic}/{record.partition}/{record.offset}")
            await self._answer_once(database, outbox, delivery, inbound)

    async def _answer_once(
        self, database: Database, outbox: Outbox, delivery: UUID, inbound: Inbound
    ) -> None:
        for attempt in range(1, self.settings.consumer_max_attempts + 1):
            try:
                async with database.pool().acquire() as conn, conn.transaction():
                    first = await conn.fetchval(
                        """INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $3)
                           ON CONFLICT DO NOTHING RETURNING event_id""",
                        self.consumer,
                        delivery,
                        self.topic,
                    )
                    if first is None:
                        return  # delivered again: answered already
                    answer = await self._answer(conn, outbox, inbound)
                    await outbox.add(conn, [answer], local_authority=inbound.council or "")
                return
            except Exception as exc:
                kind = classify(exc)
                logger.warning(
                    "partner message failed, attempt %d: %s (%s)",
                    attempt,
                    type(exc).__name__,
                    kind.value,
                )
                if kind is Failure.OUTAGE:  # not the message's fault: it comes again
                    await asyncio.sleep(2.0)
                    raise
                if kind is Failure.TRANSIENT and attempt < self.settings.consumer_max_attempts:
                    await asyncio.sleep(self.settings.consumer_retry_backoff_s * 2 ** (attempt - 1))
                    continue
                raise  # a bug: FastStream logs it; NACK: it comes again

    async def _answer(
        self, conn: Connection, outbox: Outbox, inbound: Inbound
    ) -> PartnerReferralAnswered:
        partner = inbound.partner or ""
        referral_id = uuid5(NAMESPACE_URL, f"nhs-partner:{partner}:{inbound.request_id}")
        if inbound.problems or inbound.body is None or inbound.council is None:
            return self._rejection(referral_id, inbound, inbound.problems)
        previous = await conn.fetchrow(
            """SELECT answer::text AS answer FROM partner_requests
               WHERE partner = $1 AND request_id = $2""",
            partner,
            inbound.request_id,
        )
        if previous is not None:  # republished: the same answer, nothing new
            return PartnerReferralAnswered(
                referral_id=referral_id,
                partner=partner,
                request_id=inbound.request_id,
                outcome="accepted",
                resource=json.loads(previous["answer"]),
            )
        await act_for(conn, [inbound.council])
        referral = new_referral(referral_id, inbound.body, london_today())
        principal = Principal(f"partner:{partner}", frozenset(), (inbound.council,))
        try:
            async with conn.transaction():  # a savepoint: a refusal leaves nothing behind
                events, _ = await take_in(
                    conn, AuditTrail(principal, inbound.request_id), referral, inbound.body.child
                )
        except Refused as exc:
            return self._rejection(referral_id, inbound, [("ServiceRequest.subject", exc.detail)])
        await outbox.add(conn, events, local_authority=inbound.council)
        answer = task(
            referral_id,
            inbound.request_id,
            self.settings.referral_link.format(referral_id=referral_id),
        )
        await conn.execute(
            """INSERT INTO partner_requests (partner, request_id, referral_id, answer)
               VALUES ($1, $2, $3, $4::jsonb)""",
            partner,
            inbound.request_id,
            referral_id,
            json.dumps(answer),
        )
        return PartnerReferralAnswered(
            referral_id=referral_id,
            partner=partner,
            request_id=inbound.request_id,
            outcome="accepted",
            resource=answer,
        )

    @staticmethod
    def _rejection(
        referral_id: UUID, inbound: Inbound, problems: list[Problem]
    ) -> PartnerReferralAnswered:
        return PartnerReferralAnswered(
            referral_id=referral_id,
            partner=inbound.partner or "",
            request_id=inbound.request_id,
            outcome="rejected",
            resource=rejected(problems),
        )
