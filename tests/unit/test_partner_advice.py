"""Health advice both ways (#23), pure parts: the Task asking an NHS partner for advice, and
the partner's DocumentReference read into the advice (or the problems, each at its FHIRPath)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from referrals.fhir_bundle import Rejected
from referrals.health_advice import ADVICE_TASK_SYSTEM, advice_task, task_id_of
from referrals.partner_advice import read_advice
from referrals.partner_example import example_advice

from shared.events import AdviceSummary
from tests import documents

SUMMARY = {
    "needs": "Finds it hard to follow spoken instructions",
    "outcomes-sought": "Follows two-step instructions in class",
    "provision-recommended": "Small-group language sessions, 3 times a week",
}


def test_the_task_says_whom_what_and_by_when_on_the_partners_own_topic() -> None:
    referral_id = uuid4()
    task_id = task_id_of(referral_id, "medical")
    assert task_id == task_id_of(referral_id, "medical")  # asked again: the same Task
    task = advice_task(
        task_id,
        referral_id,
        "medical",
        council="E08000035",
        requested_on=date(2026, 1, 12),
        due_on=date(2026, 2, 23),
        child={
            "given_name": "Siân",
            "family_name": "Nguyễn",
            "nhs_number": "9990000018",
            "date_of_birth": date(2019, 5, 1),
        },
    )
    assert task["status"] == "requested"
    assert task["identifier"] == [{"system": ADVICE_TASK_SYSTEM, "value": str(task_id)}]
    assert task["for"]["identifier"]["value"] == "9990000018"
    assert task["restriction"]["period"]["end"] == "2026-02-23"
    assert "regulation 6(1)(c)" in task["code"]["text"]
    assert {
        i["type"]["text"]: i.get("valueDate") or i.get("valueString") for i in task["input"]
    } == {
        "date of birth": "2019-05-01",
        "reference": str(referral_id)[:8].upper(),
    }


def test_a_pdf_with_its_summary_is_read_into_the_advice() -> None:
    task_id = uuid4()
    advice = read_advice(example_advice(str(task_id), documents.pdf("medical"), SUMMARY))
    assert advice.task_id == task_id
    assert advice.content == documents.pdf("medical")
    assert advice.filename == "medical-advice.pdf"
    assert advice.summary == AdviceSummary(
        needs=SUMMARY["needs"],
        outcomes_sought=SUMMARY["outcomes-sought"],
        provision_recommended=SUMMARY["provision-recommended"],
    )


def test_the_summary_is_optional() -> None:
    assert read_advice(example_advice(str(uuid4()), documents.pdf())).summary is None


def _broken(change: str) -> dict[str, Any]:
    document = example_advice(str(uuid4()), documents.pdf(), SUMMARY)
    attachment = document["content"][0]["attachment"]
    if change == "no task":
        document["context"]["related"][0]["identifier"]["system"] = "https://example.org/tasks"
    elif change == "not a pdf":
        attachment["data"] = base64.b64encode(documents.png()).decode()
    elif change == "an image said to be a pdf":
        attachment["contentType"] = "image/png"
    elif change == "half a summary":
        document["extension"][0]["extension"].pop()
    elif change == "not current":
        document["status"] = "superseded"
    return document


@pytest.mark.parametrize(
    ("change", "located"),
    [
        ("no task", "DocumentReference.context.related"),
        ("not a pdf", "DocumentReference.content[0].attachment.data"),
        ("an image said to be a pdf", "DocumentReference.content[0].attachment"),
        ("half a summary", "DocumentReference.extension[0]"),
        ("not current", "DocumentReference.status"),
    ],
)
def test_a_bad_answer_is_rejected_at_its_fhir_path(change: str, located: str) -> None:
    with pytest.raises(Rejected) as rejected:
        read_advice(_broken(change))
    assert [where for where, _ in rejected.value.problems] == [located]
    assert "Finds it hard" not in str(rejected.value)
