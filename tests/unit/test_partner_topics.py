"""The NHS partners' inbound topics as configured: the shared one by its configured name, and
each partner's own, created by ``shared.topics`` and read by referrals."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from referrals.config import ReferralsSettings
from referrals.partners import PartnerIntake

from shared.settings import KafkaSettings
from shared.topics import PARTNER_INBOUND_TOPIC, platform_topics

OWN = {"west-yorkshire-slt": "nhs.referrals.inbound.west-yorkshire-slt.v1"}


def test_the_topics_made_are_the_configured_shared_one_and_each_partners_own() -> None:
    settings = KafkaSettings(partner_inbound_topic="trust.referrals.in.v1", partner_topics=OWN)
    topics = platform_topics(settings)
    assert {"trust.referrals.in.v1", "trust.referrals.in.v1.dlq", *OWN.values()} <= set(topics)
    assert PARTNER_INBOUND_TOPIC not in topics
    assert f"{OWN['west-yorkshire-slt']}.dlq" not in topics  # dead letters: the shared .dlq
    assert platform_topics() == platform_topics(KafkaSettings())  # the code's: the defaults


def test_referrals_reads_the_shared_topic_and_each_partners_own() -> None:
    intake = PartnerIntake(ReferralsSettings(partner_topics=OWN))
    assert intake.topics == [PARTNER_INBOUND_TOPIC, *OWN.values()]
    assert intake.owners == {OWN["west-yorkshire-slt"]: "west-yorkshire-slt"}


@pytest.mark.parametrize(
    "topics",
    [
        {"st-elsewhere": "nhs.referrals.inbound.st-elsewhere.v1"},  # not a known partner
        {"west-yorkshire-slt": PARTNER_INBOUND_TOPIC},  # the shared topic is nobody's own
        {"west-yorkshire-slt": "a.v1", "leeds-community-paediatrics": "a.v1"},  # shared by two
        {"west-yorkshire-slt": "not a topic"},
    ],
)
def test_a_partner_topic_that_would_not_say_who_wrote_on_it_is_refused(
    topics: dict[str, str],
) -> None:
    with pytest.raises(ValidationError):
        ReferralsSettings(partner_topics=topics)
