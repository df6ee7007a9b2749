"""What a caseload search's text is taken for: an NHS number, a reference, or a name."""

from __future__ import annotations

from uuid import UUID

from referrals.caseload_query import Search


def test_ten_digits_with_spaces_or_dashes_are_an_nhs_number() -> None:
    assert Search.of(" 943 476-5919 ") == Search(nhs_number="9434765919")
    assert Search.of("٩٤٣٤٧٦٥٩١٩").nhs_number is None  # only ASCII digits count


def test_eight_hex_characters_are_a_reference_and_may_be_a_name_too() -> None:
    found = Search.of("3F2A9C1B")
    assert found.ids == (
        UUID("3f2a9c1b-0000-0000-0000-000000000000"),
        UUID("3f2a9c1b-ffff-ffff-ffff-ffffffffffff"),
    )
    assert found.name_words == ("3f2a9c1b",)
    whole = "3f2a9c1b-0000-4000-8000-000000000001"
    assert Search.of(whole).ids == (UUID(whole), UUID(whole))


def test_anything_else_is_a_name_in_words_case_folded() -> None:
    assert Search.of("Siân  NGUYỄN-Hale") == Search(name_words=("siân", "nguyễn", "hale"))
    assert Search.of("O\u2019Brien").name_words == ("o", "brien")
    assert Search.of("' -").name_words == ()
