"""Nothing a client can send makes the referrals API fail: schemathesis generates requests
from its OpenAPI document (with hypothesis), signed in as a Leeds caseworker, and sends them
to the application in-process (its ASGI support runs the app's lifespan: real PostgreSQL, and
Kafka in a namespace of this test's). The example count is bounded so it costs seconds."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from referrals.app import create_app
from referrals.config import ReferralsSettings
from schemathesis.python import asgi

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.dev_identity import fetch_token
from shared.settings import KafkaSettings
from shared.topics import delete_namespace, ensure_topics
from tests import namespaces
from tests.conftest import Databases, Infrastructure

EXAMPLES_PER_OPERATION = 12


@pytest.fixture(scope="module")
async def fuzz_settings(
    databases: Databases, infrastructure: Infrastructure, identity: IdentityProvider
) -> AsyncIterator[ReferralsSettings]:
    owner_url = await databases.fresh("fuzz", "referrals", migrations_of("referrals"))
    kafka = KafkaSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        namespace=namespaces.namespace("fuzz"),
    )
    await ensure_topics(kafka)
    yield ReferralsSettings(
        database_url=service_url(owner_url),
        kafka_bootstrap_servers=kafka.kafka_bootstrap_servers,
        namespace=kafka.namespace,
        oidc_issuer=identity.issuer,
        accept_test_nhs_numbers=True,
        rate_limit_post="100000/minute",
        rate_limit_family="100000/minute",
    )
    await delete_namespace(kafka)


@pytest.fixture(scope="module")
def referrals_schema(fuzz_settings: ReferralsSettings) -> Iterator[Any]:
    app = create_app(fuzz_settings)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    asgi.shutdown_lifespans()  # the app's lifespan: its pool, relay and Kafka client close


@pytest.fixture(scope="module")
async def signed_in(identity: IdentityProvider) -> dict[str, str]:
    return {"Authorization": f"Bearer {await fetch_token(identity.issuer, 'leeds-caseworker')}"}


# schemathesis' strategies draw from `random`, which hypothesis warns about (its concern, not
# this test's: derandomize keeps the run repeatable all the same).
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_no_request_makes_the_referrals_api_answer_5xx(
    referrals_schema: Any, signed_in: dict[str, str]
) -> None:
    # Driven through hypothesis directly: schemathesis' own pytest plugin (from_fixture) reads
    # a pytest internal that pytest 9 no longer has.
    sent: Counter[int] = Counter()
    operations = [result.ok() for result in referrals_schema.get_all_operations()]
    assert len(operations) >= 15  # every route is in the document
    # The first call starts the app; ready once its Kafka consumers have joined (it subscribes
    # to many topics): /health/ready is fuzzed too, and before then it rightly answers 503.
    [ready] = [op for op in operations if op.path == "/health/ready"]
    deadline = time.monotonic() + 60
    while ready.Case().call().status_code != 200:
        if time.monotonic() > deadline:
            pytest.fail("the referrals service was not ready within 60 s")
        time.sleep(0.1)  # the app runs in its own thread: this only paces the polling

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def answers_without_5xx(case: Any) -> None:
            response = case.call(headers=signed_in)
            sent[response.status_code] += 1
            assert response.status_code < 500, (case.method, case.path, response.text[:300])

        answers_without_5xx()
    assert sum(sent.values()) >= len(operations) * 2, sent
    assert sent[422] > 0, sent
    assert sum(n for s, n in sent.items() if s < 300) > 0, sent
