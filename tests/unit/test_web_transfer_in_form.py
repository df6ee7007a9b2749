"""The transfer-in form's mapping of the API's 422 places onto its own fields (so the error
summary links to the box to correct), and the API body its answers make."""

from __future__ import annotations

from web import forms
from web.transfer_in import FIELDS, QUESTIONS, body_of, field_of, taken_over, worded


def test_each_place_the_api_names_is_the_forms_field() -> None:
    assert field_of(("body", "from_council")) == "from_council"
    assert field_of(("body", "transferred_on")) == "transferred_on"
    assert field_of(("body", "plan", "child", "date_of_birth")) == "child_date_of_birth"
    assert field_of(("body", "plan", "child", "postcode")) == "child_postcode"
    assert field_of(("body", "plan", "child", "nhs_number")) == "child_nhs_number"
    assert field_of(("body", "plan", "family_contact")) == "contact_email"
    assert field_of(("body", "plan", "family_contact", "phone")) == "contact_phone"
    assert field_of(("body", "plan", "needs", 1)) == "secondary_need"
    assert field_of(("body", "plan", "needs")) == "primary_need"
    assert field_of(("body", "plan", "setting_ukprn")) == "setting"
    assert field_of(("body", "plan", "last_reviewed_on")) == "last_reviewed_on"
    # Deeper than the form knows (pydantic's own parts): the nearest known field.
    assert field_of(("body", "plan", "child", "date_of_birth", "year")) == "child_date_of_birth"
    # Not a box of the form: the page's, in the summary without a link.
    assert field_of(("body", "plan", "local_authority")) is None
    assert field_of(("body",)) is None
    assert set(FIELDS.values()) <= {q.name for q in QUESTIONS}  # every place: a real box


def test_the_apis_problems_are_shown_beside_their_fields() -> None:
    answers = forms.Answers({})
    forms.from_api(
        answers,
        QUESTIONS,
        [
            (("body", "plan", "child", "date_of_birth"), "must be under 25"),
            (("body", "from_council"), "String should match pattern '^E[0-9]{8}$'"),
            (("body", "plan", "local_authority"), "not a council you act for"),
        ],
        field_of=field_of,
    )
    assert answers.errors["child_date_of_birth"] == "Child's date of birth must be under 25"
    assert answers.errors["from_council"].startswith("The council that transferred the plan:")
    assert answers.general == ["Not a council you act for"]
    links = [e["href"] for e in answers.summary(QUESTIONS) if "href" in e]
    assert links == ["#from_council", "#child_date_of_birth-day"]


def test_the_apis_words_are_the_forms() -> None:
    answers = forms.Answers({})
    said = [
        (("body", "plan", "family_contact"), "Value error, sms: needed for the preferred channel"),
        (("body", "from_council"), "String should match pattern '^E[0-9]{8}$'"),
        (("body", "plan", "setting_urn"), "String should match pattern '^[0-9]{6}$'"),
    ]
    forms.from_api(answers, QUESTIONS, worded(said), field_of=field_of)
    assert answers.errors == {
        "contact_phone": "Contact's phone number is needed for the preferred channel",
        "from_council": "The council that transferred the plan must be E and 8 digits, for "
        "example E08000032",
        "setting": "The named school or setting must be a URN (6 digits) or a UKPRN (8 digits "
        "starting 1)",
    }


def test_the_answers_make_the_apis_body() -> None:
    body = body_of(
        {
            "from_council": "e08000032",
            "transferred_on": "2026-11-20",
            "child_given_name": "Amara",
            "child_family_name": "Okafor",
            "child_date_of_birth": "2014-06-01",
            "child_postcode": "LS6 2AB",
            "contact_name": "Ngozi Okafor",
            "contact_phone": "07700 900123",
            "contact_preferred_channel": "sms",
            "primary_need": "ASD",
            "secondary_need": "SLCN",
            "issued_on": "2025-07-01",
            "setting": "10001234",
        },
        "E08000035",
        "key-1",
    )
    plan = body["plan"]
    assert body["from_council"] == "E08000032"
    assert plan["case_id"] == "TRANSFER-key-1"  # the same each time the form is sent
    assert plan["local_authority"] == "E08000035"
    assert plan["needs"] == ["ASD", "SLCN"]
    assert plan["family_contact"] == {
        "name": "Ngozi Okafor",
        "preferred_channel": "sms",
        "phone": "07700 900123",
    }
    assert plan["setting_ukprn"] == "10001234"
    assert "setting_urn" not in plan
    assert "last_reviewed_on" not in plan
    assert "nhs_number" not in plan["child"]
    assert body_of({"setting": "107958"}, "E08000035", "k")["plan"]["setting_urn"] == "107958"


def test_the_banner_says_by_when_the_family_is_told_and_the_review_is_due() -> None:
    said = taken_over(
        {"from_council": "E08000032", "decide_by": "2027-01-01", "review_due": "2027-02-20"}
    )
    assert said == (
        "Plan taken over from E08000032: tell the family by 1 January 2027 whether you will "
        "carry out a new EHC needs assessment; the annual review is due by 20 February 2027"
    )
