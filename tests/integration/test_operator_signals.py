"""What operators watch, against real Kafka and PostgreSQL: FastStream's lines in the JSON log.

Uses topics of its own.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import uuid4

import pytest

from shared.logs import configure_logging
from tests.integration.conftest import BrokerFactory, Counted
from tests.logging_state import restored_logging


async def test_faststream_access_lines_are_json_with_topic_group_and_message_id(
    event_class: type[Counted],
    broker_factory: BrokerFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic, group = event_class.topic(), f"logs-{uuid4().hex[:8]}"
    handled = asyncio.Event()
    with restored_logging():
        configure_logging("tests", "INFO")
        broker = broker_factory("access-lines")

        @broker.subscriber(topic, group_id=group, auto_offset_reset="earliest")
        async def handle(body: dict[str, Any]) -> None:
            handled.set()

        await broker.start()
        try:
            await broker.publish(b'{"n": 1}', topic=topic, key=b"k")
            await asyncio.wait_for(handled.wait(), 30)
        finally:
            await broker.stop()
        captured = capsys.readouterr()
    assert captured.out == ""  # FastStream's default handler writes its lines here
    lines = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    access = [
        line
        for line in lines
        if line["logger"] == "faststream.access.kafka" and line.get("message_id")
    ]
    assert [line["message"] for line in access] == ["Received", "Processed"]
    assert {(line["topic"], line["group_id"]) for line in access} == {(topic, group)}
    assert all(line.startswith("{") for line in captured.err.splitlines())
