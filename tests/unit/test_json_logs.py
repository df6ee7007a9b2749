"""A service's log lines are JSON objects carrying the trace they belong to, whichever library
wrote them, once each."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import format_span_id, format_trace_id
from prometheus_client import CollectorRegistry

from shared.broker import create_broker
from shared.logs import configure_logging
from shared.settings import KafkaSettings
from tests.logging_state import restored_logging

LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream")


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    with restored_logging():
        yield


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_line_is_one_json_object_with_the_fields_operators_search_by(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("plans", "INFO")
    logging.getLogger("plans.handlers").info("plan drafted for referral %s", "r-1")
    [line] = json_lines(capsys.readouterr().err)
    assert line["message"] == "plan drafted for referral r-1"
    assert (line["level"], line["logger"], line["service"]) == ("INFO", "plans.handlers", "plans")
    assert line["time"].endswith("+00:00")
    assert "trace_id" not in line  # logged outside any span: no ids rather than zeros


def test_a_line_logged_in_a_span_carries_its_trace_and_span_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("plans", "INFO")
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("handle event") as span:
        logging.getLogger("shared.consumption").warning("event e-1 failed")
    context = span.get_span_context()
    [line] = json_lines(capsys.readouterr().err)
    assert line["trace_id"] == format_trace_id(context.trace_id)
    assert line["span_id"] == format_span_id(context.span_id)
    assert len(line["trace_id"]) == 32
    assert len(line["span_id"]) == 16


def test_uvicorn_and_faststream_lines_are_json_and_written_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # As uvicorn's default config and FastStream's import leave them: own handlers, no
    # propagation (uvicorn's go to stderr, FastStream's access lines to stdout).
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(logging.StreamHandler())
        logger.propagate = False
    configure_logging("referrals", "INFO")
    for name in (*LIBRARY_LOGGERS, "faststream.access.kafka"):
        logging.getLogger(name).warning("from %s", name)
    captured = capsys.readouterr()
    lines = json_lines(captured.err)
    assert [(line["logger"], line["message"]) for line in lines] == [
        (name, f"from {name}") for name in (*LIBRARY_LOGGERS, "faststream.access.kafka")
    ]
    assert captured.out == ""


async def test_a_handlers_line_carries_the_trace_of_the_event_it_handles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # FastStream's in-memory broker writes no access lines; tests/integration/
    # test_operator_signals.py checks those against a real Kafka.
    broker: KafkaBroker = create_broker(
        KafkaSettings(),
        client_id="plans",
        tracer_provider=TracerProvider(),
        registry=CollectorRegistry(),
    )

    @broker.subscriber("logs-test-topic", group_id="logs-test-group")
    async def handle(body: dict[str, str]) -> None:
        logging.getLogger("plans.handlers").info("handled")

    configure_logging("plans", "INFO")
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b"{}", topic="logs-test-topic")
    captured = capsys.readouterr()
    [handled] = [line for line in json_lines(captured.err) if line["message"] == "handled"]
    assert len(handled["trace_id"]) == 32  # FastStream's consume span is current
    assert captured.out == ""


def test_text_format_for_a_developers_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("plans", "INFO", log_format="text")
    logging.getLogger("plans.api").info("plan %s read", "p-1")
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(" INFO plans plans.api [trace -]: plan p-1 read")


def test_configuring_again_replaces_the_handler_and_keeps_the_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("plans", "INFO")
    configure_logging("specialists", "WARNING")
    logging.getLogger("x").info("not written")
    logging.getLogger("x").warning("written once")
    [line] = json_lines(capsys.readouterr().err)
    assert (line["service"], line["message"]) == ("specialists", "written once")


def test_repeated_kafka_client_errors_are_cut_down(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("plans", "INFO", repeat_interval_s=30)
    for node in range(1000):
        logging.getLogger("aiokafka").error("Unable connect to node with id %s: %s", node, "x")
    [line] = json_lines(capsys.readouterr().err)
    assert line["message"] == "Unable connect to node with id 0: x"


def test_a_library_logger_silenced_on_purpose_stays_silent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []  # what uvicorn's --no-access-log does
    access.propagate = False
    configure_logging("plans", "INFO")
    access.info('127.0.0.1:1 - "GET /health/ready HTTP/1.1" 200')
    assert capsys.readouterr().err == ""
    assert not access.hasHandlers()  # uvicorn checks this to decide whether to log at all


def test_a_family_link_in_an_access_line_is_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    access = logging.getLogger("uvicorn.access")
    access.addHandler(logging.StreamHandler())  # as uvicorn's default config leaves it
    access.propagate = False
    access.setLevel(logging.INFO)  # whatever an earlier test of the process left
    configure_logging("plans", "INFO", family_prefix="/v1/family")
    line = '%s - "%s %s HTTP/%s" %d'
    link = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    access.info(line, "192.0.2.1:1", "GET", f"/v1/family/{link}/plan.pdf", "1.1", 200)
    access.info(line, "192.0.2.1:1", "GET", "/v1/referrals/r-1/plan.pdf", "1.1", 200)
    hidden, kept = json_lines(capsys.readouterr().err)
    assert hidden["message"] == '192.0.2.1:1 - "GET /v1/family/… HTTP/1.1" 200'
    assert kept["message"] == '192.0.2.1:1 - "GET /v1/referrals/r-1/plan.pdf HTTP/1.1" 200'
    configure_logging("plans", "INFO")  # again, as each app of a process does: one filter
    assert len(access.filters) == 1


def test_an_access_line_of_a_batch_names_the_first_trace_and_lists_every_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """FastStream writes Received and Processed outside any span: the broker's logger takes
    the trace from the message being handled (shared.access_lines)."""
    from faststream import ContextRepo

    from shared.access_lines import MessageTraceLines

    first, second = "0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736"
    message = type("Batch", (), {})()
    message.batch_headers = [
        {"traceparent": f"00-{first}-b7ad6b7169203331-01"},
        {"traceparent": f"00-{second}-00f067aa0ba902b7-01"},
        {"traceparent": f"00-{first}-c7ad6b7169203332-01"},
    ]
    configure_logging("plans", "INFO")
    context = ContextRepo()
    lines = MessageTraceLines(logging.getLogger("faststream.access.kafka"))
    lines.bind(context)
    lines.log(logging.INFO, "before", extra={"topic": "t"})
    with context.scope("message", message):
        lines.log(logging.INFO, "Received", extra={"topic": "t", "message_id": "m-1"})
    before, received = json_lines(capsys.readouterr().err)
    assert "trace_id" not in before
    assert (received["trace_id"], received["span_id"]) == (first, "b7ad6b7169203331")
    assert received["trace_ids"] == [first, second]
    assert (received["topic"], received["message_id"]) == ("t", "m-1")  # FastStream's kept
