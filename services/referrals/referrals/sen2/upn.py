"""The unique pupil number (UPN) and its check letter, as the DfE describes it.

A UPN is 13 characters: a check letter, then 12 digits (the council's 3-digit code, the
school's 4-digit number, the 2-digit year of issue and a 3-digit serial). The check letter is
computed from the other 12: each digit times its position's weight (the 2nd character weighs
2, the 13th weighs 13), summed, the remainder modulo 23 picking a letter of the alphabet
without I, O and S (0 is A, 22 is Z). Temporary UPNs (a letter in the 13th place) are not
accepted: the SEN2 return wants the permanent one.
"""

from __future__ import annotations

import re

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""Remainders 0 to 22 as letters: the alphabet without I, O and S (23 letters)."""

_SHAPE = re.compile(r"^[A-Z][0-9]{12}$")


def check_letter(digits: str) -> str:
    """The check letter of a UPN's last 12 characters (digits only)."""
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        raise ValueError("a UPN's last 12 characters are digits")
    total = sum(int(d) * weight for d, weight in zip(digits, range(2, 14), strict=True))
    return CHECK_LETTERS[total % 23]


def upn_problem(value: str) -> str | None:
    """Why ``value`` is not a valid permanent UPN, or None when it is."""
    if not _SHAPE.match(value):
        return "a UPN is 13 characters: a capital letter, then 12 digits"
    if value[0] != check_letter(value[1:]):
        return "the UPN's check letter does not match its digits"
    return None


def normalised_upn(value: str) -> str:
    """The UPN in capitals without spaces, or ValueError saying what is wrong (for pydantic)."""
    upn = re.sub(r"\s", "", value).upper()
    problem = upn_problem(upn)
    if problem is not None:
        raise ValueError(problem)
    return upn
