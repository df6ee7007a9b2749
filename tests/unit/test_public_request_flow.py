"""The public request form's pages: which are asked (a young person about sharing, an email
address only of someone who chose email, a school the family's name), the next one after each
answer (back to "check your answers" once everything is answered), and the request the answers
make, with a 422's field found on the page that asks it."""

from __future__ import annotations

from typing import Any

from web.request.flow import PUBLIC_FORM, SCHOOL_FORM, question_of, request_body

PARENT: dict[str, Any] = {
    "requested_by": "parent",
    "local_authority": "E08000035",
    "track": "ehc",
    "given_name": "Ada",
    "family_name": "Okafor",
    "date_of_birth": {"day": "1", "month": "5", "year": "2018"},
    "postcode": "LS6 2AB",
    "nhs_number": "",
    "primary_need": "SLCN",
    "difficulties": "",
    "evidence": [],
    "contact_name": "Ann Okafor",
    "preferred_channel": "email",
    "email": "ann@example.org",
}


def _slugs(saved: dict[str, Any]) -> list[str]:
    return [p.slug for p in PUBLIC_FORM.asked(saved)]


def test_each_kind_of_requester_is_asked_their_own_questions() -> None:
    parent = _slugs(PARENT)
    young = _slugs({**PARENT, "requested_by": "young_person"})
    school = _slugs({**PARENT, "requested_by": "school", "preferred_channel": "sms"})
    assert "sharing" not in parent
    assert "sharing" in young
    assert parent[-3:] == ["contact-name", "contact-by", "email"]
    assert "family-name" in school
    assert "contact-name" not in school
    assert school[-1] == "phone"


def test_the_next_page_is_the_first_unanswered_and_then_check_your_answers() -> None:
    assert PUBLIC_FORM.next_after({}).slug == "who"  # type: ignore[union-attr]
    assert PUBLIC_FORM.next_after(PARENT) is None  # all answered: check your answers
    # A change from "check your answers" to a text message asks for the phone, then back.
    changed = {**PARENT, "preferred_channel": "sms"}
    assert PUBLIC_FORM.next_after(changed).slug == "phone"  # type: ignore[union-attr]
    assert PUBLIC_FORM.next_after({**changed, "phone": "07700 900123"}) is None
    assert PUBLIC_FORM.before("council", PARENT).slug == "who"  # type: ignore[union-attr]
    assert PUBLIC_FORM.before("who", PARENT) is None


def test_the_answers_make_the_public_intakes_request() -> None:
    answers = {
        **{k: v for k, v in PARENT.items() if v and k != "date_of_birth"},
        "date_of_birth": "2018-05-01",
    }
    body = request_body(answers, honeypot="")
    assert body == {
        "requested_by": "parent",
        "local_authority": "E08000035",
        "track": "ehc",
        "primary_need": "SLCN",
        "child": {
            "given_name": "Ada",
            "family_name": "Okafor",
            "date_of_birth": "2018-05-01",
            "postcode": "LS6 2AB",
        },
        "family_contact": {
            "name": "Ann Okafor",
            "preferred_channel": "email",
            "email": "ann@example.org",
        },
        "honeypot": "",
    }


def test_evidence_is_asked_after_the_difficulties_and_its_files_go_with_the_request() -> None:
    slugs = _slugs(PARENT)
    assert slugs.index("evidence") == slugs.index("about") + 1
    without = {k: v for k, v in PARENT.items() if k != "evidence"}
    assert PUBLIC_FORM.next_after(without).slug == "evidence"  # type: ignore[union-attr]
    files = [{"id": "7d1f1c9e-0000-4000-8000-000000000001", "filename": "report.pdf"}]
    body = request_body({**PARENT, "date_of_birth": "2018-05-01", "evidence": files}, "")
    assert body["evidence"] == ["7d1f1c9e-0000-4000-8000-000000000001"]
    assert "evidence" not in request_body({**PARENT, "date_of_birth": "2018-05-01"}, "")
    assert question_of(("body", "evidence")) == "evidence"


def test_a_422s_field_is_found_on_the_page_that_asks_it() -> None:
    assert question_of(("body", "child", "nhs_number")) == "nhs_number"
    assert question_of(("body", "family_contact", "email")) == "email"
    assert question_of(("body", "about_the_child", "difficulties", 0)) == "difficulties"
    assert question_of(("body", "honeypot")) is None
    assert PUBLIC_FORM.page_of("nhs_number").slug == "nhs-number"  # type: ignore[union-attr]


def test_the_schools_short_form_asks_less_the_school_and_the_familys_contact() -> None:
    school = {**PARENT, "requested_by": "school", "school_urn": "107958", "evidence": []}
    slugs = [p.slug for p in SCHOOL_FORM.asked(school)]
    assert slugs == [
        "council", "kind", "name", "date-of-birth", "postcode", "need", "about", "school",
        "family-name", "contact-by", "email",
    ]  # fmt: skip
    assert len(slugs) < len(PUBLIC_FORM.asked(school))
    assert SCHOOL_FORM.next_after(school) is None
    body = request_body({**school, "date_of_birth": "2018-05-01"}, "")
    assert body["requested_by"] == "school"
    assert body["child"]["school_urn"] == "107958"
    assert question_of(("body", "child", "school_urn")) == "school_urn"
