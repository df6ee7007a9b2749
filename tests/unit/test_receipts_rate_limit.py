"""GOV.UK Notify's delivery receipts are rate-limited by the caller's address: their bearer is
the council's callback token, checked by the route, never a sign-in token, so the rate limits
do not try it as one (#25: that try was ~6% of a receipt's CPU). The limit still applies."""

from __future__ import annotations

from uuid import uuid4

import pytest
from notifications.app import create_app
from notifications.config import CouncilMessaging, NotificationsSettings

from tests.app_state import with_state
from tests.unit.hardened_app import FakeClock, Tokens, client_of, freeze_time

UNUSED = "postgresql://unused@127.0.0.1:1/unused"
CALLBACK_TOKEN = "callback-token-for-tests-only"  # made up
NOT_OURS = {"id": "n-1", "reference": None, "status": "delivered", "notification_type": "email"}
ALICE = ("192.0.2.10", 50000)
BOB = ("192.0.2.20", 50000)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return freeze_time(monkeypatch)


async def test_receipts_are_counted_by_address_and_their_token_is_never_tried_as_a_sign_in(
    clock: FakeClock,
) -> None:
    app = create_app(
        NotificationsSettings(
            database_url=UNUSED,
            council_messaging={"E08000035": CouncilMessaging(notify_callback_token=CALLBACK_TOKEN)},
            rate_limit_post="2/minute",
        )
    )
    # A sign-in token a caseworker might send: it would verify, and be counted as "ann".
    tokens = Tokens({"sign-in": "ann", CALLBACK_TOKEN: "notify"})
    with_state(app, identity_provider=tokens)

    async def receipt(client: tuple[str, int], token: str) -> int:
        async with client_of(app, client) as http:
            bearer = {"Authorization": f"Bearer {token}"}
            answer = await http.post("/v1/notify/receipts", json=NOT_OURS, headers=bearer)
            return answer.status_code

    alice = [await receipt(ALICE, t) for t in (CALLBACK_TOKEN, uuid4().hex, CALLBACK_TOKEN)]
    signed_in = await receipt(ALICE, "sign-in")  # the same address's counter, spent
    bob = await receipt(BOB, CALLBACK_TOKEN)
    clock.advance(60)
    again = await receipt(ALICE, CALLBACK_TOKEN)

    assert alice == [204, 401, 429]  # a wrong token is refused by the route, and counted
    assert signed_in == 429
    assert bob == 204
    assert again == 204
    assert tokens.checked == 0
