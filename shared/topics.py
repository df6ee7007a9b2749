"""The platform's topics, derived from the event models, and a command that creates them.

    python -m shared.topics   # idempotent: creates the missing ones (in SEND_NAMESPACE)

Every topic a service consumes also gets ``<topic>.dlq`` for messages that could not be
processed; the NHS partners' own inbound topics (``PARTNER_TOPICS``) share the dead-letter
topic of their shared inbound topic (``PARTNER_INBOUND_TOPIC``). Each partner of
``PARTNER_COUNCILS`` has a topic of its own for the events addressed to it
(``PartnerEvent``: ``nhs.referrals.outcome.<partner>.v1``), read only by that partner, never
by the platform, so with no dead-letter topic.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import NoError, TopicAlreadyExistsError, for_code

from shared.events import ALL_EVENTS, PartnerEvent
from shared.settings import PARTNER_INBOUND_TOPIC as PARTNER_INBOUND_TOPIC
from shared.settings import KafkaSettings

logger = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"


class TopicCreationFailed(ValueError):
    """The broker refused to create some topics.

    A ValueError because what the broker refuses is nearly always a value we asked for (a name
    with illegal characters, more replicas than brokers, no partitions). ``failures`` maps each
    refused topic to the broker's reason, so the caller can name them all, not just the first.
    """

    def __init__(self, failures: Mapping[str, str]) -> None:
        self.failures = dict(failures)
        listed = "; ".join(f"{topic}: {reason}" for topic, reason in self.failures.items())
        super().__init__(f"could not create {len(self.failures)} topic(s): {listed}")


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return f"{topic}{DLQ_SUFFIX}"


PARTNER_EVENTS: tuple[type[PartnerEvent], ...] = tuple(
    e for e in ALL_EVENTS if issubclass(e, PartnerEvent)
)
"""The events addressed to one partner: each partner has a topic of its own for each."""


def platform_topics(settings: KafkaSettings | None = None) -> list[str]:
    """Every event topic, the partners' inbound topic, and the dead-letter topic of each; each
    partner's own inbound topic (their dead letters go to the shared one's) and each partner's
    own topic of each ``PartnerEvent``. Without ``settings``: as the code declares them (the
    default shared topic; no partner, no topic of a partner's)."""
    shared = settings.partner_inbound_topic if settings is not None else PARTNER_INBOUND_TOPIC
    topics = [e.topic() for e in ALL_EVENTS if not issubclass(e, PartnerEvent)] + [shared]
    own = settings.partner_inbound_topics()[1:] if settings is not None else []
    partners = settings.partner_event_topics(PARTNER_EVENTS) if settings is not None else []
    return topics + [dead_letter_topic(t) for t in topics] + own + partners


async def ensure_topics(settings: KafkaSettings, topics: list[str] | None = None) -> list[str]:
    """Create the topics that do not exist yet; returns the names it created.

    Names are given without the run's namespace; each is created as
    ``<settings.namespace><name>``, the name the services use.

    ``create_topics`` does not raise when the broker refuses a topic: CreateTopics answers each
    topic on its own, with an error code (and, from v1, a message). So every answer is checked.
    TOPIC_ALREADY_EXISTS is success (another process created it between our listing and our
    request; the end state is what we want). Any other error raises ``TopicCreationFailed``
    naming every refused topic; the broker still creates the valid topics of the same request.

    The per-topic answers are trusted rather than followed by a ``list_topics`` check: NO_ERROR
    is the controller saying it committed the topic, while a broker's metadata may lag behind
    it for a moment, so listing right away could report a created topic as missing.
    """
    wanted = [
        f"{settings.namespace}{t}"
        for t in (topics if topics is not None else platform_topics(settings))
    ]
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if not missing:
            return []
        new = [
            NewTopic(
                name=t,
                num_partitions=settings.kafka_topic_partitions,
                replication_factor=settings.kafka_replication_factor,
            )
            for t in missing
        ]
        response = await admin.create_topics(new)
    finally:
        await admin.close()

    created: list[str] = []
    failures: dict[str, str] = {}
    # v0 entries are (topic, error_code); v1 and later add the broker's error_message.
    answers = {entry[0]: entry[1:] for entry in response.topic_errors}
    for topic in missing:
        if topic not in answers:
            failures[topic] = "the broker's answer did not mention this topic"
            continue
        code, *message = answers[topic]
        error = for_code(code)
        if error is NoError:
            created.append(topic)
        elif error is not TopicAlreadyExistsError:
            detail = message[0] if message and message[0] else error.description
            failures[topic] = f"{error.message} ({detail})"
    if failures:
        if created:
            logger.info("topics created before the failure: %s", ", ".join(created))
        raise TopicCreationFailed(failures)
    return created


async def delete_namespace(settings: KafkaSettings) -> list[str]:
    """Delete every topic of ``settings.namespace`` (a finished test or benchmark run's);
    returns their names. Refuses the empty namespace: that is a deployment's own."""
    if not settings.namespace:
        raise ValueError("refusing to delete the topics of the empty namespace")
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        doomed = [t for t in await admin.list_topics() if t.startswith(settings.namespace)]
        if doomed:
            await admin.delete_topics(doomed)
        return doomed
    finally:
        await admin.close()


def main(topics: list[str] | None = None) -> None:
    """Create the platform's topics (or ``topics``, for tests), settings from the environment.

    A topic the broker refuses is an expected failure with a clear cause, so it ends the
    process with status 1 and one line per topic on stderr, without a traceback.
    """
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = KafkaSettings()
    try:
        created = asyncio.run(ensure_topics(settings, topics))
    except TopicCreationFailed as failed:
        for topic, reason in failed.failures.items():
            print(f"topics: could not create {topic}: {reason}", file=sys.stderr)
        raise SystemExit(1) from None
    wanted = len(topics if topics is not None else platform_topics(settings))
    print(f"topics: {wanted} wanted, {len(created)} created")


if __name__ == "__main__":
    main()
