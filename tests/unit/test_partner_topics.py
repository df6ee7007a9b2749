"""The NHS partners' topics as configured: the shared inbound one by its configured name, each
partner's own inbound topic, created by ``shared.topics`` and read by referrals, and each
partner's own outcome topic, ``nhs.referrals.outcome.<partner>.v1``, where its answers go."""

from __future__ import annotations

from uuid import uuid4

import pytest
from pydantic import ValidationError
from referrals.config import ReferralsSettings
from referrals.partners import PartnerIntake

from shared.events import PartnerReferralAnswered
from shared.settings import KafkaSettings
from shared.topics import PARTNER_INBOUND_TOPIC, platform_topics

OWN = {"west-yorkshire-slt": "nhs.referrals.inbound.west-yorkshire-slt.v1"}


PARTNERS = {"west-yorkshire-slt": ["E08000035"], "leeds-community-paediatrics": ["E08000035"]}


def test_the_topics_made_are_the_configured_shared_one_and_each_partners_own() -> None:
    settings = KafkaSettings(
        partner_inbound_topic="trust.referrals.in.v1", partner_topics=OWN, partner_councils=PARTNERS
    )
    topics = platform_topics(settings)
    assert {"trust.referrals.in.v1", "trust.referrals.in.v1.dlq", *OWN.values()} <= set(topics)
    assert PARTNER_INBOUND_TOPIC not in topics
    assert f"{OWN['west-yorkshire-slt']}.dlq" not in topics  # dead letters: the shared .dlq
    outcomes = {t for t in topics if t.startswith("nhs.referrals.outcome.")}
    assert outcomes == {  # one each, read by that partner alone; no shared one, no .dlq
        "nhs.referrals.outcome.west-yorkshire-slt.v1",
        "nhs.referrals.outcome.leeds-community-paediatrics.v1",
    }
    # The code's own (no partner: a deployment names its partners).
    assert platform_topics() == platform_topics(KafkaSettings(partner_councils={}))


def test_each_answer_goes_to_its_partners_own_topic() -> None:
    answer = PartnerReferralAnswered(
        referral_id=uuid4(), partner="west-yorkshire-slt", request_id="SR-1",
        outcome="accepted", resource={},
    )  # fmt: skip
    assert answer.destination() == "nhs.referrals.outcome.west-yorkshire-slt.v1"
    assert PartnerReferralAnswered.topic() == "nhs.referrals.outcome.{partner}.v1"


@pytest.mark.parametrize("partner", ["trust.a", "west yorkshire", "", "x" * 101, "rr8/slt"])
def test_a_partner_id_that_would_not_name_one_topic_is_refused(partner: str) -> None:
    with pytest.raises(ValidationError, match="client id names its topics"):
        KafkaSettings(partner_councils={partner: ["E08000035"]})


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
