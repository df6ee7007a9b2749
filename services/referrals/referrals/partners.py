"""NHS partners' referrals: FHIR in CloudEvents on ``nhs.referrals.inbound.v1`` (and each
partner's own topic, ``PARTNER_TOPICS``), each answered once on the partner's own outcome topic
(``nhs.referrals.outcome.<partner>.v1``: ``PartnerReferralAnswered``), which no other partner
may read.

A consumer of its own (partners' messages are not the platform's envelope): each record is
read with the CloudEvents SDK's Kafka binding (binary or structured mode), its partner checked
against ``PARTNER_COUNCILS``, its FHIR read (``referrals.fhir_bundle``) into the body of
``POST /v1/referrals`` and taken in by the one intake path (``referrals.taking_in``). In one
unit of work, as the partner (``partner:<client id>``, audited so): the record in the inbox
(the platform's, by topic, partition and offset: a redelivery does nothing), the referral, the
partner's request identifier with its answer (a republished request makes no second referral
and gets the same answer), and the answer in the outbox.

Who sent it: on a partner's own topic, that partner (only its Kafka user may write there); a
message whose ``source`` names another is refused, answered to the topic's owner. On the
shared topic, whoever ``source`` names, unless that partner has a topic of its own (then it
must use it); a message there is answered only to a partner so verified (``answerable``).

A referral for a child the council already knows (an open referral, or the NHS number of a
child known with other details) is not refused: it is held for a caseworker to match and
answered as any referral (``referrals.holding``), so the answer never tells a partner that a
child is known here. A message that cannot become a referral (unreadable, invalid, refused by
the intake rules) is answered (when its partner is verified) and kept on
``<shared topic>.dlq`` with the reason: FHIRPaths and codes, never a value. Failures are met as
``shared.consumption`` meets them (``shared.failures``): a database outage leaves the offset,
so the message comes again (it is never turned into a rejection); a transient error is
retried; anything else (a bug) is dead-lettered with its exception's type and answered with a
generic rejection, so the partition moves on.

(Longer than most modules: one consumer whose steps (read, check the partner, take in,
answer, dead-letter) share one transaction and one record; the FHIR reading is in
``fhir_bundle`` and the failure handling in ``shared.consumption``.)
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from cloudevents.core.bindings.kafka import KafkaMessage as CloudEventRecord
from cloudevents.core.bindings.kafka import from_kafka
from cloudevents.core.formats.json import JSONFormat
from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import ValidationError

from referrals import reasons_repository
from referrals.config import ReferralsSettings
from referrals.documents.receiving import DocumentDesk, kept
from referrals.documents.store import StoredKey
from referrals.fhir_bundle import Problem, Rejected, read_bundle, rejected, task, where
from referrals.health_advice import advice_received_task
from referrals.holding import hold
from referrals.overload import Overload
from referrals.partner_advice import ADVICE_EVENT_TYPE, PartnerAdvice, read_advice, take_advice
from referrals.referrer_reasons import ReferrerReason, suggested_needs
from referrals.schemas import PartnerReferralRequest
from referrals.state import referrals_of
from referrals.taking_in import Refused, new_referral, rule_problems, take_in
from shared.consumption import EventConsumption, attempted, dead_letter_headers, first_deliveries
from shared.dates import london_today
from shared.db import Connection
from shared.events import DomainEvent, PartnerReferralAnswered
from shared.request_ids import client_request_id
from shared.topics import dead_letter_topic
from shared.unit_of_work import Actor, Work

logger = logging.getLogger(__name__)

CONSUMER = "referrals"
PARTNER_HOLD_S = 30.0
"""Longest a partner's message is held while the pipeline is past its bound: well inside the
consumer's poll interval (aiokafka's 300 s), so holding never costs it its partitions."""

UNEXPECTED = (
    "Bundle",
    "the platform could not take this message in; it is kept for the council's operators",
)
"""The problem an unexpected failure (a bug, not the message) is answered with."""


@dataclass
class Inbound:
    """What a partner's record says, as far as it could be read."""

    request_id: str
    partner: str | None = None
    council: str | None = None
    body: PartnerReferralRequest | None = None
    problems: list[Problem] = field(default_factory=list)
    requester_ods: str = ""
    advice: PartnerAdvice | None = None
    """An answer to a request for advice (``referrals.partner_advice``), not a referral."""
    refused: list[Problem] = field(default_factory=list)
    """Why an answer to a request for advice was refused once taken (not the partner's
    Task, already received...): answered so, then dead-lettered."""
    reasons: list[ReferrerReason] = field(default_factory=list)
    """The referrer's reasons as given: special category data, never logged."""


@dataclass(frozen=True)
class Wiring:
    """What taking a partner's record needs: the service's units of work, its consumption
    (its retry settings and dead-letter metrics), and the dead-letter topic's publisher."""

    work: Work
    consumption: EventConsumption
    dead_letters: Callable[..., Awaitable[Any]]  # publish(value, key=..., headers=...)


def partner_of(source: str) -> str:
    """The partner's client id: the CloudEvent ``source``'s last path segment
    (``/nhs/partners/west-yorkshire-slt`` -> ``west-yorkshire-slt``)."""
    return source.rstrip("/").rsplit("/", 1)[-1]


def answerable(claimed: str, settings: ReferralsSettings) -> str | None:
    """Who a message on the shared topic is answered to: the partner its ``source`` names,
    when that is a partner the platform knows (it has an outcome topic) that has no topic of
    its own (on the shared topic only ``source`` says who wrote it, and a partner with its own
    topic must use it). Else nobody: an answer to an unverified claim could put a rejection,
    keyed by one of that partner's own request identifiers, among its answers."""
    known = claimed in settings.partner_councils and claimed not in settings.partner_topics
    return claimed if known else None


def read(
    headers: dict[str, bytes],
    key: bytes | None,
    value: bytes,
    settings: ReferralsSettings,
    owner: str | None = None,
) -> Inbound:
    """Read one partner record; pure. ``owner``: the partner whose own topic it came on (who
    sent it, whatever it says); ``None`` on the shared topic. ``problems`` empty means it can
    be taken in; ``partner``, who is answered (``None``: nobody, see ``answerable``)."""
    inbound = Inbound(request_id=key.decode(errors="replace") if key else "", partner=owner)
    source = headers.get("ce_source")  # binary mode: known even when the data is unreadable
    if source is not None and owner is None:
        inbound.partner = answerable(partner_of(source.decode(errors="replace")), settings)
    try:
        event = from_kafka(CloudEventRecord(headers=headers, key=key, value=value), JSONFormat())
    except Exception as exc:  # the SDK raises many kinds, all meaning "not readable"
        inbound.problems = [
            ("CloudEvent", f"not a CloudEvent with JSON data ({type(exc).__name__})")
        ]
        return inbound
    claimed = partner_of(str(event.get_source()))
    inbound.request_id = inbound.request_id or str(event.get_id())
    if owner is not None and claimed != owner:
        inbound.problems = [
            ("CloudEvent.source", "names another partner than the one this topic belongs to")
        ]
        return inbound
    inbound.partner = owner or answerable(claimed, settings)
    councils = settings.partner_councils.get(claimed)
    if councils is None:
        inbound.problems = [("CloudEvent.source", "not a partner this platform knows")]
        return inbound
    if owner is None and claimed in settings.partner_topics:
        inbound.problems = [
            ("CloudEvent.source", "this partner publishes on its own topic, not the shared one")
        ]
        return inbound
    council = event.get_extension("localauthority")
    if not isinstance(council, str) or council not in councils:
        inbound.problems = [
            ("CloudEvent.localauthority", "must name a council this partner may refer to")
        ]
        return inbound
    inbound.council = council
    if event.get_type() == ADVICE_EVENT_TYPE:  # advice the partner was asked for (#23)
        try:
            inbound.advice = read_advice(event.get_data())
        except Rejected as exc:
            inbound.problems = exc.problems
        return inbound
    try:
        referral = read_bundle(event.get_data())
    except Rejected as exc:
        inbound.problems = exc.problems
        return inbound
    referral.body["local_authority"] = council
    try:
        body = PartnerReferralRequest.model_validate(referral.body)
    except ValidationError as exc:
        inbound.problems = [
            (where(tuple(e["loc"]), referral.paths), e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
        ]
        return inbound
    problems = rule_problems(settings.intake_rules, body, london_today())
    inbound.problems = [(where(loc, referral.paths), why) for loc, why in problems]
    inbound.body = body if not problems else None
    inbound.requester_ods, inbound.reasons = referral.requester_ods, referral.reasons
    return inbound


class PartnerIntake:
    """Subscribes the partners' consumer on the referrals service's router."""

    def __init__(self, settings: ReferralsSettings, overload: Overload | None = None) -> None:
        self.settings = settings
        self.overload = overload
        """The pipeline's bound (``referrals.overload``): past it, the next message waits."""
        self.topic = settings.partner_inbound_topic  # the shared one: its .dlq is everyone's
        self.topics = settings.partner_inbound_topics()
        self.owners = {topic: partner for partner, topic in settings.partner_topics.items()}
        self.consumer = f"{CONSUMER}.{self.topic}"

    def subscribe(
        self,
        router: KafkaRouter,
        work: Work,
        consumption: EventConsumption,
    ) -> None:
        dead_letters = router.publisher(
            dead_letter_topic(self.topic),
            title=f"{dead_letter_topic(self.topic)}:referrals",
            description="NHS partners' messages that could not become a referral, as they "
            "came, with headers saying why (dlq-reason: FHIRPaths and codes, never a value; "
            "dlq-exception: Rejected, or the unexpected error's type; "
            "dlq-original-topic: the shared or the partner's own topic)",
        )
        wiring = Wiring(work, consumption, dead_letters.publish)

        async def raw(msg: StreamMessage[Any]) -> Any:
            return msg.body  # the CloudEvents SDK reads it, in either content mode

        @router.subscriber(
            *self.topics,
            group_id=f"{self.settings.namespace}{self.consumer}",
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,  # commit only after the transaction
            decoder=raw,
            title=f"{self.topic}:referrals",
            description="NHS partners' referrals: a FHIR R4 message Bundle (MessageHeader -> "
            "ServiceRequest, Patient, Organization, RelatedPerson) in a CloudEvent, binary "
            "(ce_* headers) or structured (application/cloudevents+json) mode; the Kafka key is "
            "the partner's request identifier; the CloudEvent source ends in the partner's "
            "client id and its localauthority extension names the council. Partners with a "
            "topic of their own (PARTNER_TOPICS) publish there instead, the same messages",
        )
        async def partner_referral(body: bytes, message: KafkaMessage) -> None:
            # One aiokafka ConsumerRecord (not a batch); its value is ``body``.
            if self.overload is not None:  # past the bound it waits on Kafka, not lost
                await self.overload.room_for_partners(PARTNER_HOLD_S)
            await self.take(message.raw_message, wiring)

    async def take(self, record: Any, wiring: Wiring) -> None:
        """Take one partner record in and answer it; see the module docstring."""
        topic = record.topic.removeprefix(self.settings.namespace)
        owner = self.owners.get(topic)
        inbound = read(dict(record.headers), record.key, record.value, self.settings, owner)
        if inbound.problems:
            reason = "; ".join(f"{w}: {why}" for w, why in inbound.problems)
            # Before the answer's transaction: a crash between the two keeps the message
            # (it comes again), never an answer without its dead letter.
            await self._dead_letter(record, wiring, reason, "Rejected", outcome="invalid")
        if inbound.partner is None:
            return  # nobody to answer: the dead letter is all there is
        delivery = uuid5(NAMESPACE_URL, f"{record.topic}/{record.partition}/{record.offset}")
        what = f"partner message {record.topic}[{record.partition}]@{record.offset}"
        failed = await self._attempted(wiring, what, delivery, inbound, topic)
        if failed is None:
            if inbound.refused:  # advice refused in its unit of work: answered, now kept
                reason = "; ".join(f"{w}: {why}" for w, why in inbound.refused)
                await self._dead_letter(record, wiring, reason, "Rejected", outcome="invalid")
            return
        # A bug: the same every time; kept for the operators, the partition moves on.
        exc, attempts = failed
        reason = f"unexpected {type(exc).__name__}"
        await self._dead_letter(
            record, wiring, reason, type(exc).__name__, attempts=attempts, outcome="dead_lettered"
        )
        refusal = replace(inbound, body=None, problems=[UNEXPECTED])
        failed = await self._attempted(wiring, what, delivery, refusal, topic)
        if failed is not None:  # dead-lettered already: nothing more to try
            logger.error("%s could not be answered: %s", what, type(failed[0]).__name__)

    async def _attempted(
        self, wiring: Wiring, what: str, delivery: UUID, inbound: Inbound, topic: str
    ) -> tuple[Exception, int] | None:
        """Answer once, failures met as the platform's consumers meet them."""
        c = wiring.consumption
        return await attempted(
            lambda: self._answer_once(wiring, delivery, inbound, topic),
            what=what,
            max_attempts=c.max_attempts,
            retry_backoff_s=c.retry_backoff_s,
            outage_backoff_s=c.outage_backoff_s,
        )

    async def _dead_letter(
        self,
        record: Any,
        wiring: Wiring,
        reason: str,
        exception: str,
        *,
        attempts: int = 1,
        outcome: str,
    ) -> None:
        headers = dead_letter_headers(
            record, reason=reason, exception=exception, attempts=attempts, consumer=CONSUMER
        )
        await wiring.dead_letters(record.value, key=record.key, headers=headers)
        wiring.consumption.count_dead_letter(record.topic, exception, outcome)
        logger.warning(
            "partner message %s[%s]@%s dead-lettered: %s",
            record.topic,
            record.partition,
            record.offset,
            exception,
        )

    async def _answer_once(
        self, wiring: Wiring, delivery: UUID, inbound: Inbound, topic: str
    ) -> None:
        """One unit of work as the partner, for the council it names (none when it names none
        it may): the delivery claimed in the inbox, then the answer and what it makes. A
        rejection naming no council is answered so (its envelope names none)."""
        # The server's id of this taking-in; the partner's request id kept as the caller's.
        actor = Actor(
            f"partner:{inbound.partner or ''}",
            request_id=str(uuid4()),
            client_request_id=client_request_id(inbound.request_id),
        )
        councils = [inbound.council] if inbound.council else []
        if inbound.advice is not None and inbound.council and not inbound.problems:
            await self._advice(wiring, delivery, inbound, topic, actor)
            return
        async with wiring.work.begin(actor, councils=councils) as uow:
            if not await first_deliveries(uow.conn, self.consumer, topic, [delivery]):
                return  # delivered again: answered already
            events = await self._answer(uow.conn, inbound)
            uow.add(*events, local_authority=inbound.council or "")

    async def _answer(self, conn: Connection, inbound: Inbound) -> list[DomainEvent]:
        """The answer, after the events of the referral it makes (or of the request held for
        matching)."""
        partner = inbound.partner or ""
        referral_id = uuid5(NAMESPACE_URL, f"nhs-partner:{partner}:{inbound.request_id}")
        if inbound.problems or inbound.body is None or inbound.council is None:
            return [self._rejection(referral_id, inbound, inbound.problems)]
        previous = await conn.fetchrow(
            """SELECT answer::text AS answer FROM partner_requests
               WHERE partner = $1 AND request_id = $2""",
            partner,
            inbound.request_id,
        )
        if previous is not None:  # republished: the same answer, nothing new
            return [
                PartnerReferralAnswered(
                    referral_id=referral_id,
                    partner=partner,
                    request_id=inbound.request_id,
                    outcome="accepted",
                    resource=json.loads(previous["answer"]),
                )
            ]
        referral = new_referral(referral_id, inbound.body, london_today())
        suggested = suggested_needs(inbound.reasons, self.settings.snomed_sen2_suggestions)
        await reasons_repository.keep(
            conn,
            referral_id,
            local_authority=inbound.council,
            partner=partner,
            requester_ods=inbound.requester_ods,
            reasons=inbound.reasons,
            suggested=suggested,
        )
        taken_in: UUID | None = referral_id
        try:
            events, _ = await take_in(conn, referral, inbound.body.child, suggested)
        except Refused as refused:  # a child known here: held, answered as any referral
            events, _ = await hold(
                conn, referral, inbound.body, refused,
                partner=partner, request_id=inbound.request_id,
            )  # fmt: skip
            taken_in = None
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
            taken_in,
            json.dumps(answer),
        )
        accepted = PartnerReferralAnswered(
            referral_id=referral_id,
            partner=partner,
            request_id=inbound.request_id,
            outcome="accepted",
            resource=answer,
        )
        return [*events, accepted]

    async def _advice(
        self, wiring: Wiring, delivery: UUID, inbound: Inbound, topic: str, actor: Actor
    ) -> None:
        """A partner's advice: scanned when a scanner is configured, its bytes put in the
        document store (removed again unless it is received), then received on the clock and
        answered in one unit of work (``referrals.partner_advice``)."""
        advice, council, partner = inbound.advice, inbound.council or "", inbound.partner or ""
        assert advice is not None
        own = referrals_of(wiring.work.service)
        desk = DocumentDesk(own.document_store(wiring.work), own.scanner)
        problems: list[Problem] = []
        if desk.scanner is not None and await desk.scanner.scan(advice.content) is not None:
            problems = [("DocumentReference.content[0].attachment.data", "contains a virus")]
        document_id = uuid5(NAMESPACE_URL, f"partner-advice:{delivery}")
        key = StoredKey(document_id, council)
        infected = bool(problems)  # never stored, even for a moment
        async with contextlib.nullcontext() if infected else kept(desk, key, advice.content):
            async with wiring.work.begin(actor, councils=[council]) as uow:
                if not await first_deliveries(uow.conn, self.consumer, topic, [delivery]):
                    return  # delivered again: answered already
                referral_id: UUID | None = None
                if not problems:
                    referral_id, problems = await take_advice(
                        uow, advice, partner, council, document_id
                    )
                about = referral_id or advice.task_id
                if problems:
                    answer = replace(inbound, problems=problems)
                    uow.add(self._rejection(about, answer, problems), local_authority=council)
                else:
                    uow.add(
                        PartnerReferralAnswered(
                            referral_id=about,
                            partner=partner,
                            request_id=inbound.request_id,
                            outcome="accepted",
                            resource=advice_received_task(advice.task_id, document_id),
                        ),
                        local_authority=council,
                    )
            if problems and not infected:
                await desk.store.remove(key)  # answered, not received: no bytes kept
        inbound.refused = problems

    @staticmethod
    def _rejection(
        referral_id: UUID, inbound: Inbound, problems: list[Problem]
    ) -> PartnerReferralAnswered:
        return PartnerReferralAnswered(
            referral_id=referral_id,
            partner=inbound.partner or "",
            request_id=inbound.request_id,
            outcome="rejected",
            resource=rejected(problems, code="exception" if UNEXPECTED in problems else "invalid"),
        )
