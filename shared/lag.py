"""Consumer lag per partition: how many events wait on the broker for a service's consumers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aiokafka.errors import KafkaError
from faststream.kafka.subscriber.usecase import LogicSubscriber
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_Partition = tuple[str, str, str]  # topic, partition, consumer group


class ConsumerLag(Collector):
    """``send_consumer_lag{topic,partition,group}``: for each partition assigned to one of the
    service's consumers, its high watermark (the offset the next event written to it gets)
    minus the consumer's position (the offset of the next event it will take).

    Both come from the consumer itself, with no request to the broker: the high watermark
    arrives with every fetch response (the consumer keeps fetching while idle), the position
    moves as the consumer takes events. The event being handled has been taken, so it is not
    counted. A partition appears once the consumer has fetched from it and disappears when a
    rebalance moves it elsewhere (the replica it went to reports it): sum by topic and group
    across replicas for a group's lag.
    """

    def __init__(
        self,
        subscribers: Callable[[], Iterable[object]],
        *,
        registry: CollectorRegistry,
        position_timeout_s: float = 1.0,
    ) -> None:
        self._subscribers = subscribers  # a getter: consumers are made when the broker starts
        self._position_timeout_s = position_timeout_s
        self._lag: dict[_Partition, int] = {}
        registry.register(self)

    async def measure(self) -> None:
        """Replace the last measurement by one of the partitions assigned now."""
        lag: dict[_Partition, int] = {}
        for subscriber in self._subscribers():
            if not isinstance(subscriber, LogicSubscriber) or subscriber.consumer is None:
                continue  # not a Kafka subscriber, or not started (Kafka down)
            lag.update(await self._of(subscriber.consumer, subscriber.group_id or ""))
        self._lag = lag

    async def _of(self, consumer: Any, group: str) -> dict[_Partition, int]:
        # The assignment and the high watermarks are read together, with nothing awaited in
        # between, so each partition read is still assigned (aiokafka asserts that it is).
        highwaters = {tp: consumer.highwater(tp) for tp in consumer.assignment()}
        lag: dict[_Partition, int] = {}
        for tp, highwater in highwaters.items():
            if highwater is None:
                continue  # nothing fetched from this partition yet
            try:
                # Immediate once the consumer knows where to start; before that it waits for
                # the committed offset, which must not hold up the other measurements.
                position = await asyncio.wait_for(
                    consumer.position(tp), timeout=self._position_timeout_s
                )
            except (TimeoutError, KafkaError):  # no position yet, or unassigned meanwhile
                continue
            lag[(tp.topic, str(tp.partition), group)] = max(0, highwater - position)
        return lag

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "send_consumer_lag",
            "Events on a partition not yet taken by this service's consumer of it",
            labels=["topic", "partition", "group"],
        )

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        for labels, value in sorted(self._lag.items()):
            family.add_metric(list(labels), value)
        yield family
