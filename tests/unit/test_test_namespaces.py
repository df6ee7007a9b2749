"""The names test runs give their Kafka topics carry the time they were made, so a later run
deletes what a killed run left behind, and never a run going on beside it or a deployment's."""

from __future__ import annotations

import time

from tests.namespaces import STALE_AFTER_S, namespace, stale, stamped

NOW = time.time()


def test_a_killed_runs_topics_are_stale_once_older_than_any_run_lasts() -> None:
    old = NOW - STALE_AFTER_S - 1
    assert stale(f"{stamped('e2e', now=old)}.referrals.referral-received.v1", NOW)
    assert stale(f"tests.{stamped('counted', hex_digits=10, now=old)}.v1", NOW)


def test_a_run_going_on_and_a_deployments_topics_are_never_stale() -> None:
    assert not stale(f"{namespace('e2e')}referrals.referral-received.v1", NOW)
    assert not stale(f"{stamped('fuzz', now=NOW - 60)}.plans.plan-drafted.v1", NOW)
    assert not stale("referrals.referral-received.v1", NOW)
    assert not stale("referrals.referral-received.v1.dlq", NOW)
    assert not stale("nhs.referrals.inbound.v1", NOW)
    assert not stale("leeds-1700000000-west.referrals.x.v1", NOW)  # not hex after the time
