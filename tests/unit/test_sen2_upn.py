"""The UPN's check letter (DfE): weights 2..13 on the last 12 digits, modulo 23, a letter of
the alphabet without I, O or S. The expected letters were computed by hand from that rule
(A0 B1 C2 D3 E4 F5 G6 H7 J8 K9 L10 M11 N12 P13 Q14 R15 T16 U17 V18 W19 X20 Y21 Z22)."""

from __future__ import annotations

import pytest
from referrals.sen2.upn import CHECK_LETTERS, check_letter, normalised_upn, upn_problem


def test_the_letters_are_the_alphabet_without_i_o_and_s() -> None:
    assert len(CHECK_LETTERS) == 23
    assert not set("IOS") & set(CHECK_LETTERS)


@pytest.mark.parametrize(
    ("digits", "letter"),
    [
        # 9*2 + 3*3 + 8*4 + 6*5 + 1*6 + 2*7 + 3*8 + 4*9 + 5*10 + 6*11 + 7*12 + 8*13 = 473;
        # 473 mod 23 = 13 -> P
        ("938612345678", "P"),
        ("000000000000", "A"),  # 0
        ("100000000000", "C"),  # 1*2 = 2: the 2nd character weighs 2
        ("000000000010", "N"),  # 1*12 = 12
        ("000000000002", "D"),  # 2*13 = 26 -> 3
        ("000000000007", "Z"),  # 7*13 = 91 -> 22, the last letter
    ],
)
def test_the_check_letter_is_computed_from_the_twelve_digits(digits: str, letter: str) -> None:
    assert check_letter(digits) == letter


def test_a_upn_with_its_check_letter_is_valid() -> None:
    assert upn_problem("P938612345678") is None
    assert normalised_upn(" p938 6123 45678 ") == "P938612345678"


@pytest.mark.parametrize(
    ("upn", "why"),
    [
        ("Q938612345678", "check letter"),  # one letter off
        ("P938612345687", "check letter"),  # two digits swapped
        ("P93861234567", "13 characters"),  # 12 characters
        ("P93861234567A", "13 characters"),  # a temporary UPN
        ("7938612345678", "13 characters"),  # no letter first
    ],
)
def test_a_upn_that_fails_its_check_is_refused_saying_why(upn: str, why: str) -> None:
    problem = upn_problem(upn)
    assert problem is not None
    assert why in problem
    with pytest.raises(ValueError, match=why):
        normalised_upn(upn)
