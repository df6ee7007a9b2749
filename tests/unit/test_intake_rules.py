import re
from datetime import date

import pytest
from pydantic import ValidationError
from referrals.domain import FamilyContact
from referrals.intake import (
    IntakeRules,
    child_age_problem,
    council_problem,
    intake_problems,
    name_key,
    nhs_number_digits,
    nhs_number_range,
    person_name,
    safe_text,
    uk_phone,
)

from shared.dates import london_today

LEEDS, BRADFORD = "E08000035", "E08000032"
SERVED = frozenset({LEEDS, BRADFORD})


def test_a_district_council_is_refused_because_it_has_no_send_duties() -> None:
    problem = council_problem("E07000120", SERVED)
    assert problem is not None
    assert "no SEND duties" in problem


@pytest.mark.parametrize("code", ["E06000001", "E09000033", "E10000023"])
def test_a_council_with_send_duties_that_this_deployment_does_not_serve_is_refused(
    code: str,
) -> None:
    problem = council_problem(code, SERVED)
    assert problem is not None
    assert "does not take referrals" in problem
    assert council_problem(code, SERVED | {code}) is None


def test_a_code_that_is_no_council_is_refused() -> None:
    assert "ONS code" in (council_problem("W06000015", SERVED) or "")


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("943 476 5919", "9434765919"),
        ("943-476-5919", "9434765919"),
        ("9990000018", "9990000018"),
        ("450\u00a0557\u00a07104", "4505577104"),  # no-break spaces, as a web page has them
        ("450\u2013557\u20137104", "4505577104"),  # en dashes, as a word processor makes them
        ("450\u202f557\u22127104", "4505577104"),  # a narrow no-break space, a minus sign
    ],
)
def test_nhs_numbers_are_normalised_from_spaces_and_dashes(text: str, digits: str) -> None:
    assert nhs_number_digits(text) == digits


@pytest.mark.parametrize(
    "text",
    [
        "943476591\u0669",  # an Arabic-Indic nine: a digit to str.isdigit, not to the NHS
        "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",  # full-width
        "9434765918",  # wrong check digit
        "1000000010",  # check digit would be 10
        "943476591",
    ],
)
def test_nhs_numbers_must_be_ten_ascii_digits_passing_modulus_11(text: str) -> None:
    with pytest.raises(ValueError, match="NHS number"):
        nhs_number_digits(text)


@pytest.mark.parametrize(
    ("digits", "kind"),
    [
        ("9434765919", "unissued"),  # 943: not a range any nation issues
        ("4505577104", "issued"),  # England and Wales
        ("3200000010", "issued"),  # Northern Ireland
        ("0101000000", "issued"),  # the first CHI number
        ("0000000000", "unissued"),
        ("5990000003", "unissued"),
        ("9990000018", "test"),
    ],
)
def test_nhs_number_ranges_tell_issued_test_and_never_issued_numbers(
    digits: str, kind: str
) -> None:
    assert nhs_number_range(digits) == kind


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Siân", "Siân"),
        ("Nguyễn", "Nguyễn"),
        ("محمد", "محمد"),
        ("  Mary   Jane ", "Mary Jane"),
        ("O\u2019Neill-Smith", "O\u2019Neill-Smith"),
        ("Sia\u0302n", "Siân"),  # decomposed: stored in one normal form
        ("Nguye\u0302\u0303n", "Nguyễn"),  # two marks on one letter
        ("བསྒྲུབས", "བསྒྲུབས"),  # Tibetan: three marks stacked under and over one letter
        ("안녕", "안녕"),  # Hangul syllables are letters; only the fillers show nothing
    ],
)
def test_names_in_any_script_are_kept_in_one_normal_form(text: str, normal: str) -> None:
    assert person_name(text) == normal


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "<script>alert(1)</script>",
        "Ann\x00",
        "Ann\u202eeoj",
        "Ann\nSmith",
        "Ann@Smith",
        "--",
        "\u3164",  # Hangul filler: a "letter" that shows nothing
        "Ann\u3164",
        "\u115f\u1160",
        "\uffa0",
        "Zal" + "\u0336" * 5 + "go",  # five marks stacked on one letter
        "Z" + "\u0300\u0301\u0302\u0303\u0304" + "a",
    ],
)
def test_blank_names_controls_markup_and_symbols_are_refused(text: str) -> None:
    with pytest.raises(
        ValueError, match=r"blank|only letters|a letter|control or formatting|marks on one letter"
    ):
        person_name(text)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Loves trains.\nReads well,\twith help.", "Loves trains.\nReads well,\twith help."),
        ("Line one\r\nline two\rthree", "Line one\nline two\nthree"),  # as a form sends it
        ("Sia\u0302n \u0645\u062d\u0645\u062f \U0001f468\u200d\U0001f469", "Siân محمد 👨\u200d👩"),
    ],
)
def test_free_text_keeps_any_script_and_lines_in_one_normal_form(text: str, kept: str) -> None:
    assert safe_text(text) == kept


@pytest.mark.parametrize(
    ("text", "code_point"),
    [
        ("Kind\u0000", "U+0000"),  # NUL: PostgreSQL's text and jsonb cannot hold it
        ("Bell\u0007", "U+0007"),
        ("Escape\u001b[2J", "U+001B"),
        ("Next\u0085line", "U+0085"),  # a C1 control
        ("Reads \u202eslowly", "U+202E"),  # a bidirectional override
        ("Hid\u2066den", "U+2066"),  # a bidirectional isolate
        ("Soft\u00adhyphen", "U+00AD"),
        ("Zero\u200bwidth", "U+200B"),
        ("Bom\ufeff", "U+FEFF"),
        ("Private\ue000", "U+E000"),
        ("Unassigned\U000e0080", "U+E0080"),
        ("Lone\ud800", "U+D800"),  # a surrogate (JSON can spell one)
    ],
)
def test_free_text_refuses_control_and_formatting_characters(text: str, code_point: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"characters: {code_point}")):
        safe_text(text)


def test_a_single_line_refuses_new_lines_and_tabs() -> None:
    with pytest.raises(ValueError, match=re.escape("U+0009")):
        safe_text("Ann\tSmith", multiline=False)


def test_duplicate_names_compare_case_folded() -> None:
    assert name_key("SIÂN", "jones") == name_key("Siân", "Jones")


def test_phone_numbers_are_uk_numbers_normalised() -> None:
    assert uk_phone("+44 7700 900123") == "07700900123"
    assert uk_phone("0113 496 0000") == "01134960000"
    with pytest.raises(ValueError, match="UK phone"):
        uk_phone("555-1234")


def test_a_text_message_needs_a_mobile_number() -> None:
    with pytest.raises(ValidationError, match="mobile"):
        FamilyContact(name="Ann Parent", phone="0113 496 0000", preferred_channel="sms")
    contact = FamilyContact(name="Ann Parent", phone="+447700900123", preferred_channel="sms")
    assert contact.phone == "07700900123"


def test_age_is_under_25_on_the_day_of_the_request() -> None:
    """A young person is under 25 (s83(2)): a 25-year-old is refused, on their birthday too."""
    request = date(2026, 3, 1)
    assert child_age_problem(date(2001, 3, 2), request) is None  # 24, a day short of 25
    assert "under 25" in (child_age_problem(date(2001, 3, 1), request) or "")  # 25 that day
    assert "under 25" in (child_age_problem(date(2000, 3, 2), request) or "")  # 25
    assert "after" in (child_age_problem(date(2026, 3, 2), request) or "")
    assert child_age_problem(date(2026, 3, 1), request) is None  # born that day


def test_the_day_is_the_councils_not_utcs() -> None:
    from datetime import UTC, datetime

    assert london_today(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)  # BST
    assert london_today(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2026, 12, 31)


def test_intake_names_each_field_it_cannot_accept() -> None:
    rules = IntakeRules(councils=SERVED, accept_test_nhs_numbers=False)
    problems = intake_problems(
        rules,
        local_authority="E07000120",
        requested_on=date(2026, 3, 2),
        today=date(2026, 3, 1),
        born=date(1990, 1, 1),
        nhs_number="9990000018",
    )
    fields = [loc for loc, _ in problems]
    assert fields == [
        ("local_authority",),
        ("received_on",),
        ("child", "date_of_birth"),
        ("child", "nhs_number"),
    ]
    test_numbers_allowed = IntakeRules(councils=SERVED, accept_test_nhs_numbers=True)
    assert not intake_problems(
        test_numbers_allowed,
        local_authority=LEEDS,
        requested_on=date(2026, 3, 1),
        today=date(2026, 3, 1),
        born=date(2019, 1, 1),
        nhs_number="9990000018",
    )
