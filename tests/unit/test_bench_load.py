"""What the bench sends: varied valid referrals, HTTP requests read back, bare-stage events."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from uuid import UUID

import pytest
from referrals.domain import is_valid_nhs_number
from referrals.schemas import ReferralRequest

from scripts.bench.bare import first_event
from scripts.bench.bare_stage import next_event
from scripts.bench.http_load import UnsupportedResponse, post_request, read_response
from scripts.bench.samples import DISTRICTS, nhs_test_number, referral_request


def test_nhs_test_numbers_pass_the_modulus_11_check_or_are_left_out() -> None:
    numbers = [nhs_test_number(n) for n in range(2000)]
    valid = [n for n in numbers if n is not None]
    assert all(n.startswith("999") and is_valid_nhs_number(n) for n in valid)
    assert len(set(valid)) == len(valid)
    # About one prefix in eleven has no check digit (it would be 10): those are left out.
    assert 100 < numbers.count(None) < 260
    with pytest.raises(ValueError, match="a million"):
        nhs_test_number(1_000_000)


def test_sample_referrals_are_valid_and_varied() -> None:
    samples = [referral_request(i, date(2026, 11, 29)) for i in range(1000)]
    requests = [ReferralRequest.model_validate(s) for s in samples]
    assert {r.child.postcode.district for r in requests} == set(DISTRICTS)
    assert len({r.primary_need for r in requests}) == 13
    assert len({r.requested_by for r in requests}) == 5
    assert {r.family_contact.preferred_channel for r in requests} == {"email", "sms"}
    assert sum(r.child.nhs_number is None for r in requests) >= 100


async def answer(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    reader = asyncio.StreamReader()
    reader.feed_data(raw)
    reader.feed_eof()
    return await read_response(reader)


async def test_a_response_is_read_to_its_content_length() -> None:
    raw = (
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\ncontent-length: 12\r\n\r\n"
        b'{"id": "x"}\nHTTP/1.1 200 OK'  # the next response on the connection is left alone
    )
    status, headers, body = await answer(raw)
    assert (status, headers["content-type"], body) == (201, "application/json", b'{"id": "x"}\n')


async def test_a_chunked_response_is_refused_with_a_reason() -> None:
    with pytest.raises(UnsupportedResponse, match="chunked"):
        await answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n")


def test_a_post_carries_its_length_and_headers() -> None:
    request = post_request("127.0.0.1:8001", "/v1/referrals", b"{}", {"Authorization": "Bearer t"})
    head, body = request.split(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"POST /v1/referrals HTTP/1.1",
        b"Host: 127.0.0.1:8001",
        b"Content-Type: application/json",
        b"Content-Length: 2",
        b"Authorization: Bearer t",
    ]
    assert body == b"{}"


def test_a_bare_stage_publishes_a_new_event_carrying_the_referral_on() -> None:
    handled = json.loads(first_event(0))
    published = json.loads(next_event(handled, stage=2))
    assert UUID(published["id"]) != UUID(handled["id"])
    assert published["subject"] == handled["subject"] == handled["data"]["referral_id"]
    assert published["data"] == {**handled["data"], "stage": 2}
    assert published["type"] == "uk.send-platform.bench.stage-2-done.v1"
