"""Rate limits per client on changes (RATE_LIMIT_POST) and on the family link
(RATE_LIMIT_FAMILY): 429 with Retry-After once spent, allowed again when the window ends."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from limits.aio.storage import MemoryStorage
from referrals.config import ReferralsSettings

from shared.rate_limits import SUBJECT
from tests.app_state import with_state
from tests.unit.hardened_app import (
    FakeClock,
    Tokens,
    client_of,
    freeze_time,
    hardened_app,
    signed_in,
)

CHILD = {"given_name": "Ada", "nhs_number": "9434765919", "postcode": "LS6 2AB"}
ALICE = ("192.0.2.10", 50000)
BOB = ("192.0.2.20", 50000)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return freeze_time(monkeypatch)


def rate_limits_of(app: FastAPI) -> dict[str, Any]:
    """The arguments ``harden`` gave the rate-limit middleware (built at the first request)."""
    [middleware] = [m for m in app.user_middleware if "storage" in m.kwargs]
    return middleware.kwargs


def limited_app(clock: FakeClock, **settings: Any) -> FastAPI:
    return hardened_app(clock=clock, **{"rate_limit_post": "2/minute", **settings})


async def test_the_third_post_in_a_minute_is_refused_until_the_window_ends(
    clock: FakeClock,
) -> None:
    app = limited_app(clock)
    async with client_of(app, ALICE) as alice:
        allowed = [(await alice.post("/v1/things", json=CHILD)).status_code for _ in range(2)]
        refused = await alice.post("/v1/things", json=CHILD)
        clock.advance(45)
        still_refused = await alice.post("/v1/things", json=CHILD)
        clock.advance(15)
        again = await alice.post("/v1/things", json=CHILD)

    assert allowed == [201, 201]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.json() == {"detail": "Too many requests. Try again in 60 seconds."}
    assert still_refused.status_code == 429
    assert still_refused.headers["retry-after"] == "15"
    assert again.status_code == 201


async def test_another_client_is_not_held_back(clock: FakeClock) -> None:
    app = signed_in(limited_app(clock))
    async with client_of(app, ALICE) as alice, client_of(app, BOB) as bob:
        for _ in range(3):
            await alice.post("/v1/things", json=CHILD)
        assert (await alice.post("/v1/things", json=CHILD)).status_code == 429
        assert (await bob.post("/v1/things", json=CHILD)).status_code == 201
        # a caseworker signed in from Alice's address counts apart from her
        caseworker = await alice.post(
            "/v1/things", json=CHILD, headers={"Authorization": "Bearer caseworker-token"}
        )
        assert caseworker.status_code == 201


async def test_reads_are_not_counted_against_the_post_limit(clock: FakeClock) -> None:
    async with client_of(limited_app(clock), ALICE) as alice:
        for _ in range(3):
            await alice.post("/v1/things", json=CHILD)
        reads = [(await alice.get("/v1/things")).status_code for _ in range(10)]
    assert reads == [200] * 10


async def test_the_family_link_has_its_own_limit_on_every_method(clock: FakeClock) -> None:
    app = limited_app(clock, rate_limit_family="3/minute", rate_limit_post="100/minute")
    async with client_of(app, ALICE) as alice:
        views = [(await alice.get("/v1/family/a1b2")).status_code for _ in range(4)]
        other_routes = (await alice.get("/v1/things")).status_code
        refused = await alice.get("/v1/family/another-link")
        clock.advance(60)
        again = await alice.get("/v1/family/a1b2")

    assert views == [200, 200, 200, 429]
    assert other_routes == 200
    assert refused.status_code == 429
    assert again.status_code == 200


async def test_health_and_metrics_are_never_limited(clock: FakeClock) -> None:
    # Even under a prefix given a limit of one a minute.
    app = limited_app(clock, rate_limit_family="1/minute", family_path_prefix="/health")
    async with client_of(app, ALICE) as alice:
        probes = [(await alice.get("/health/live")).status_code for _ in range(5)]
    assert 429 not in probes


async def test_forwarded_for_counts_only_from_a_trusted_proxy(clock: FakeClock) -> None:
    app = limited_app(clock, trusted_proxies="10.0.0.0/8")
    proxy = ("10.1.2.3", 40000)

    def via(client: str, spoofed: str = "203.0.113.66") -> dict[str, str]:
        return {"X-Forwarded-For": f"{spoofed}, {client}"}  # the proxy appended the last one

    async with client_of(app, proxy) as through_proxy, client_of(app, ALICE) as direct:
        for _ in range(2):
            await through_proxy.post("/v1/things", json=CHILD, headers=via("198.51.100.1"))
        carol = await through_proxy.post("/v1/things", json=CHILD, headers=via("198.51.100.1"))
        dave = await through_proxy.post("/v1/things", json=CHILD, headers=via("198.51.100.2"))
        # Alice is not a proxy: her own X-Forwarded-For, new each time, is not believed
        direct_codes = [
            (await direct.post("/v1/things", json=CHILD, headers=via(f"{i}.1.1.1"))).status_code
            for i in range(3)
        ]

    assert carol.status_code == 429
    assert dave.status_code == 201
    assert direct_codes == [201, 201, 429]


async def test_a_signed_in_caller_is_counted_by_subject_kept_only_as_a_hash(
    clock: FakeClock,
) -> None:
    app = limited_app(clock)
    with_state(app, identity_provider=Tokens({"s3cr3t": "leeds-caseworker-42"}))
    storage = rate_limits_of(app)["storage"]
    assert isinstance(storage, MemoryStorage)
    async with client_of(app, ALICE) as alice:
        await alice.post("/v1/things", json=CHILD, headers={"Authorization": "Bearer s3cr3t"})
    keys = list(storage.storage)
    assert len(keys) == 1
    assert "sub:" in keys[0]
    for secret in ("s3cr3t", "leeds-caseworker-42", "192.0.2.10"):
        assert secret not in keys[0]


async def test_a_new_authorization_header_each_time_buys_no_new_counter(
    clock: FakeClock,
) -> None:
    # Before, the raw header was the client: 0 of 60 requests carrying random ones were limited.
    app = limited_app(clock)
    with_state(app, identity_provider=Tokens({}))
    headers = [
        {"Authorization": f"Bearer {uuid4().hex}"},
        {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"},
        {"Authorization": f"Basic {uuid4().hex}"},
        {"Authorization": "Bearer"},
    ]
    async with client_of(app, ALICE) as alice:
        codes = [
            (await alice.post("/v1/things", json=CHILD, headers=each)).status_code
            for each in headers
        ]
    assert codes == [201, 201, 429, 429]


async def test_the_family_link_is_counted_by_address_whatever_the_headers(
    clock: FakeClock,
) -> None:
    app = limited_app(clock, rate_limit_family="3/minute", rate_limit_post="100/minute")
    tokens = Tokens({"good": "leeds-caseworker"})
    with_state(app, identity_provider=tokens)
    async with client_of(app, ALICE) as alice:
        codes = [
            (
                await alice.get("/v1/family/a1b2", headers={"Authorization": f"Bearer {h}"})
            ).status_code
            for h in ("good", uuid4().hex, uuid4().hex, "good", uuid4().hex)
        ]
    assert codes == [200, 200, 200, 429, 429]
    assert tokens.checked == 0  # the family routes read no Authorization: not even checked


async def test_a_signed_in_callers_tokens_share_one_counter_and_colleagues_have_their_own(
    clock: FakeClock,
) -> None:
    app = limited_app(clock)
    with_state(app, identity_provider=Tokens({"t1": "ann", "t2": "ann", "t3": "bea"}))

    async def post(token: str) -> int:
        async with client_of(app, ALICE) as same_address:
            auth = {"Authorization": f"Bearer {token}"}
            return (await same_address.post("/v1/things", json=CHILD, headers=auth)).status_code

    assert [await post(t) for t in ("t1", "t2", "t1")] == [201, 201, 429]  # a new token: no
    assert [await post("t3"), await post("t3")] == [201, 201]  # a colleague at the same address
    # A refused token counts against the address, which has spent nothing yet.
    assert [await post("refused"), await post(uuid4().hex), await post("x")] == [201, 201, 429]


async def test_the_token_is_checked_once_a_request_for_the_limit_and_the_route(
    clock: FakeClock,
) -> None:
    app = limited_app(clock)
    tokens = Tokens({"good": "ann"})
    with_state(app, identity_provider=tokens)
    async with client_of(app, ALICE) as alice:
        made = await alice.post("/v1/caseworker-things", headers={"Authorization": "Bearer good"})
        refused = await alice.post("/v1/caseworker-things", headers={"Authorization": "Bearer x"})
    assert (made.status_code, made.json()) == (201, {"by": "ann"})
    assert refused.status_code == 401
    assert tokens.checked == 2  # one each: the route's allow() used the limit's check


class _Unreachable(MemoryStorage):
    async def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        raise ConnectionError("the shared counter store is down")


async def test_requests_pass_while_the_counter_storage_is_down(clock: FakeClock) -> None:
    app = limited_app(clock)
    rate_limits_of(app)["storage"] = _Unreachable()
    async with client_of(app, ALICE) as alice:
        codes = [(await alice.post("/v1/things", json=CHILD)).status_code for _ in range(4)]
    assert codes == [201] * 4


def test_a_storage_that_cannot_be_had_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="RATE_LIMIT_STORAGE 'counters://somewhere'"):
        hardened_app(rate_limit_storage="counters://somewhere")


def test_a_rate_limit_that_is_not_one_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="'sixty a minute' is not a rate limit"):
        ReferralsSettings(rate_limit_post="sixty a minute")


async def test_people_signed_in_to_the_workspace_from_one_office_each_have_their_own_counter(
    clock: FakeClock,
) -> None:
    """The workspace's session middleware (outside the limits) names the person signed in;
    a whole council office behind one address is not one client."""
    app = limited_app(clock)

    class Session:  # what the workspace's ``Sessions`` does for a signed-in person
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            person = dict(scope.get("headers", [])).get(b"x-person")
            if person:
                scope[SUBJECT] = person.decode()
            await self.inner(scope, receive, send)

    app.add_middleware(Session)
    async with client_of(app, ALICE) as office:
        ann = [
            (await office.post("/v1/things", json=CHILD, headers={"X-Person": "ann"})).status_code
            for _ in range(3)
        ]
        bea = await office.post("/v1/things", json=CHILD, headers={"X-Person": "bea"})
    assert ann == [201, 201, 429]
    assert bea.status_code == 201
