"""Section K with advice an adviser returned through their link: the document's id and their
summary listed with it, kept when a caseworker edits K through a form that does not show the
id, and erased with the child's details (the summary is words about the child)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from plans.erasure import ERASED, erased_document
from plans.structure import ehc_structure, with_advice, with_section

from tests.unit.test_plan_lifecycle import _document

SUMMARY = {
    "needs": "Finds spoken instructions hard to follow",
    "outcomes_sought": "Follows two-step instructions by July",
    "provision_recommended": "Small-group language sessions three times a week",
}


def test_returned_advice_is_listed_in_k_with_its_document_and_summary_once() -> None:
    document_id = uuid4()
    document = ehc_structure(_document())
    listed = with_advice(
        document, "educational_psychology", date(2026, 3, 1), document_id=document_id,
        summary=SUMMARY,
    )  # fmt: skip
    assert listed is not None
    [advice] = listed.K
    assert (advice.document_id, advice.needs) == (document_id, SUMMARY["needs"])
    assert advice.provision_recommended == SUMMARY["provision_recommended"]
    again = with_advice(
        listed, "educational_psychology", date(2026, 3, 1), document_id=document_id,
        summary=SUMMARY,
    )  # fmt: skip
    assert again is None


def test_a_caseworkers_edit_of_k_keeps_each_advices_document() -> None:
    document_id = uuid4()
    listed = with_advice(
        ehc_structure(_document()), "educational_psychology", date(2026, 3, 1),
        document_id=document_id, summary=SUMMARY,
    )  # fmt: skip
    assert listed is not None
    edited = with_section(
        listed,
        "K",
        [
            {"kind": "educational_psychology", "received_on": "2026-03-01", "needs": "Reworded"},
            {"kind": "medical", "received_on": "2026-03-02"},
        ],
    )
    assert [(a.kind, a.document_id, a.needs) for a in edited.K] == [
        ("educational_psychology", document_id, "Reworded"),
        ("medical", None, None),
    ]


def test_the_advisers_summaries_are_erased_with_the_childs_details() -> None:
    listed = with_advice(
        ehc_structure(_document()), "educational_psychology", date(2026, 3, 1),
        document_id=uuid4(), summary=SUMMARY,
    )  # fmt: skip
    assert listed is not None
    erased = erased_document(listed.model_dump(mode="json"))
    [advice] = erased["K"]
    assert {k: advice[k] for k in SUMMARY} == dict.fromkeys(SUMMARY, ERASED)
    assert (advice["kind"], advice["received_on"]) == ("educational_psychology", "2026-03-01")
