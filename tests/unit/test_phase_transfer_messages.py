"""The family's messages of a phase transfer (Reg 18): the amended plan naming the next school
or college (with the right to appeal), and the law's date missed, saying sorry and stating the
date exactly as the law does (before 15 February; before 31 March to post-16); both duties."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from notifications.catalogue import CATALOGUE, Audience

from shared.events import AmendedPlanIssued, PhaseTransferDeadlineMissed, PhaseTransferKind
from tests.unit.test_statutory_messages import _messages

LEEDS = "E08000035"


def _missed(kind: PhaseTransferKind, due_on: date) -> PhaseTransferDeadlineMissed:
    return PhaseTransferDeadlineMissed(
        referral_id=uuid4(), local_authority=LEEDS, kind=kind, transfer_year=2027, due_on=due_on
    )


@pytest.mark.parametrize(
    ("kind", "due_on", "law"),
    [
        ("primary_to_secondary", date(2027, 2, 14), "before 15 February 2027"),
        ("early_years_to_primary", date(2027, 2, 14), "before 15 February 2027"),
        ("secondary_to_post_16", date(2027, 3, 30), "before 31 March 2027"),
    ],
)
def test_a_missed_transfer_is_told_with_the_laws_date_and_an_apology(
    kind: PhaseTransferKind, due_on: date, law: str
) -> None:
    event = _missed(kind, due_on)
    ((alert, text),) = _messages(event)
    assert alert.audience is Audience.FAMILY
    assert next(k for k in CATALOGUE[PhaseTransferDeadlineMissed]).statutory
    assert not {"{", "}"} & set(text)
    assert "We are sorry" in text
    assert text.count(law) == 2  # the email and the text message
    assert "14 February" not in text  # the law's words, not the last day's
    assert "30 March" not in text


def test_the_amended_plan_of_a_transferring_child_says_it_names_the_next_setting() -> None:
    common = {
        "referral_id": uuid4(), "local_authority": LEEDS, "review_id": uuid4(),
        "issued_on": date(2027, 1, 20), "amended_plan_due": date(2027, 3, 3), "late": False,
        "appeal_by": date(2027, 3, 20),
    }  # fmt: skip
    transfer = AmendedPlanIssued.model_validate(
        {**common, "phase_transfer": "primary_to_secondary", "transfer_due": date(2027, 2, 14),
         "next_setting_urn": "140001"}
    )  # fmt: skip
    ((alert, text),) = _messages(transfer)
    assert alert.template == "amended-plan-issued-transfer"
    assert "names the school or college" in text
    assert "your child's move from primary to secondary school in September 2027" in text
    assert "20 March 2027" in text  # the right to appeal
    assert "140001" not in text  # the letter names it; a message carries no more than it must
    ((plain, _),) = _messages(AmendedPlanIssued.model_validate(common))
    assert plain.template == "amended-plan-issued"
