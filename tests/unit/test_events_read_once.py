"""A consumed event is validated once (issue #25: it used to be read as a ``RawEnvelope``, dumped
and validated again as its own class's envelope: two validations and a dump an event), and a
message that is not a valid event is still refused saying what is wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from shared.events import RawEnvelope, ReferralWaitlisted, message_class, wrap
from shared.failures import InvalidEvent
from shared.subscriptions import parse


def _wire(**changes: Any) -> bytes:
    event = ReferralWaitlisted(
        referral_id=uuid4(), plan_id=uuid4(), specialism="sensory_support", local_authority="E1"
    )
    envelope = wrap(event, source="/x", local_authority="E1").model_dump(mode="json")
    envelope.update(changes)
    return json.dumps(envelope).encode()


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every validation of an envelope, raw or the event's own, by model and method."""
    calls: list[str] = []
    for model in (RawEnvelope, message_class(ReferralWaitlisted)):
        for name in ("model_validate", "model_validate_json"):
            original = getattr(model, name)

            monkeypatch.setattr(model, name, _counting(original, f"{model.__name__}.{name}", calls))
    return calls


def _counting(original: Callable[..., Any], name: str, calls: list[str]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return original(*args, **kwargs)

    return counted


def test_a_valid_event_is_validated_once(validations: list[str]) -> None:
    wire = _wire()
    envelope = parse(wire, ReferralWaitlisted)
    assert len(validations) == 1, validations
    assert envelope.data.specialism == "sensory_support"
    assert json.loads(envelope.model_dump_json()) == json.loads(wire)  # nothing lost or changed


@pytest.mark.parametrize(
    ("wire", "says"),
    [
        (b"not json", "not a CloudEvent"),
        (b"[1, 2]", "not a CloudEvent"),
        (_wire(data="a string"), "not a CloudEvent: data"),
        (_wire(type="uk.send-platform.x.y.v1"), "type: "),
        (_wire(subject=str(uuid4())), "subject: must equal data.referral_id"),
        (_wire(time="yesterday"), "not a CloudEvent: time"),
    ],
)
def test_a_message_that_is_not_a_valid_event_says_what_is_wrong(wire: bytes, says: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        parse(wire, ReferralWaitlisted)
    assert str(refused.value).startswith(says)


def test_an_event_whose_data_is_wrong_names_the_field() -> None:
    event_id = uuid4()
    wire = _wire(
        subject=str(event_id), data={"referral_id": str(event_id), "specialism": "sensory_support"}
    )
    with pytest.raises(InvalidEvent) as refused:
        parse(wire, ReferralWaitlisted)
    assert str(refused.value).startswith("not a valid ReferralWaitlisted: data.plan_id")
