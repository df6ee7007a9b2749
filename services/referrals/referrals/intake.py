"""Intake rules a council can trust: councils with SEND duties, NHS numbers, names, phone
numbers, age and dates in the council's calendar. Pure: no I/O.

(Longer than most modules: each rule is short, but there are many (council codes, NHS
numbers, names in any script, phones, postcodes, ages, dates), and they are one list a council
reviews together.)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

# ONS codes of councils with SEND duties: E06 unitary, E08 metropolitan, E09 London boroughs
# (and the City), E10 county councils. E07 districts sit inside a county, which has the duty.
SEND_COUNCIL = re.compile(r"^E(06|08|09|10)[0-9]{6}$")
DISTRICT_COUNCIL = re.compile(r"^E07[0-9]{6}$")
UNDER_AGE = 25
"""A young person is under 25 (Children and Families Act 2014, s83(2)): on their 25th birthday
the council's duties to them under the Act end, so a request from that day is refused."""


def council_problem(code: str, served: frozenset[str]) -> str | None:
    """Why ``code`` cannot be referred to here, or None."""
    if DISTRICT_COUNCIL.match(code):
        return (
            "a district council (E07) has no SEND duties: refer to the county council (E10) "
            "for the area"
        )
    if not SEND_COUNCIL.match(code):
        return "not the ONS code of a council with SEND duties (E06, E08, E09 or E10 + 6 digits)"
    if code not in served:
        return f"this service does not take referrals for {code}; it serves {sorted(served)}"
    return None


NhsRange = Literal["issued", "test", "unissued"]


# Spaces and dashes as a number copied from a letter or a web page may hold them: a space, a
# no-break space (U+00A0), a narrow one (U+202F), a thin one (U+2009); a hyphen-minus, a hyphen
# (U+2010), a non-breaking hyphen (U+2011), a figure dash (U+2012), an en dash (U+2013), a
# minus sign (U+2212).
_NHS_SEPARATORS = re.compile("[ \u00a0\u202f\u2009\\-\u2010\u2011\u2012\u2013\u2212]")


def nhs_number_digits(text: str) -> str:
    """The 10 ASCII digits of an NHS number written with spaces or dashes, checked with
    Modulus 11; ``ValueError`` saying what is wrong."""
    digits = _NHS_SEPARATORS.sub("", text)
    if not re.fullmatch(r"[0-9]{10}", digits):  # not str.isdigit: that takes any script's digits
        raise ValueError("an NHS number is 10 digits 0-9 (spaces or dashes allowed)")
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    if check == 10 or check != int(digits[9]):
        raise ValueError("not a valid NHS number: its last digit is not the Modulus 11 check")
    return digits


def nhs_number_range(digits: str) -> NhsRange:
    """Whether a number can have been issued: Scotland's CHI (010 100 0000-311 299 9999),
    England's 3xx and Northern Ireland's (320-399), England, Wales and the Isle of Man
    (400-499, 600-799): so 010 100 0000-499 999 9999 and 600-799. 999 is for tests and
    demos, never issued; the rest is not issued."""
    if "0101000000" <= digits <= "4999999999" or "6000000000" <= digits <= "7999999999":
        return "issued"
    return "test" if digits.startswith("999") else "unissued"


# Characters no free text may hold: controls (NUL and the like, which PostgreSQL's text and
# jsonb refuse), surrogates, formatting characters (bidirectional overrides, invisible marks a
# screen reader skips), private-use and unassigned code points. Kept: the zero-width
# (non-)joiner some scripts need between letters, and in text of several lines a new line
# and a tab.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Cf", "Co", "Cn"})
_JOINERS = frozenset("\u200c\u200d")
_LINE_BREAKS = frozenset("\n\t")


def safe_text(text: str, *, multiline: bool = True) -> str:
    """Free text (a note, a reason, the referrer's words) in one normal form (NFC, a carriage
    return as a new line) with nothing a database, a screen reader or a text message cannot
    hold safely; ``ValueError`` naming the first character that is not."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    allowed = _JOINERS | _LINE_BREAKS if multiline else _JOINERS
    for char in text:
        if unicodedata.category(char) in _UNSAFE_CATEGORIES and char not in allowed:
            raise ValueError(
                f"must not hold control or formatting characters: U+{ord(char):04X} "
                f"({unicodedata.name(char, 'a control character').lower()})"
            )
    return text


# Allowed in a name besides letters and combining marks of any script: spaces, hyphens,
# apostrophes, full stops, and the zero-width (non-)joiner some scripts need between letters.
_NAME_PUNCTUATION = frozenset(" -'.\u2019") | _JOINERS
# "Letters" that show nothing (the Hangul fillers): a name of them looks blank.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
MAX_MARKS_PER_LETTER = 4
"""Combining marks on one letter: Vietnamese needs two, some scripts a few more; dozens stacked
("Zalgo" text) spill over the lines around them on a screen or a letter."""


def person_name(text: str) -> str:
    """A name in any script (Siân, Nguyễn, محمد), in one normal form with single spaces (digits
    are harmless, so allowed: a name that holds one is rare, but refusing it helps nobody); no
    control or formatting characters (bidirectional overrides included, as in any free text),
    no markup or symbols a screen reader, a text message or a letter template could not hold."""
    text = safe_text(text, multiline=False)
    marks = 0
    for char in text:
        category = unicodedata.category(char)
        if char in _INVISIBLE_LETTERS or (
            category[0] not in "LM"
            and category not in ("Zs", "Nd")
            and char not in _NAME_PUNCTUATION
        ):
            raise ValueError(
                "only letters (any script), digits, spaces, hyphens, apostrophes and full stops; "
                f"not {unicodedata.name(char, 'a control character').lower()}"
            )
        marks = marks + 1 if category[0] == "M" else 0
        if marks > MAX_MARKS_PER_LETTER:
            raise ValueError(f"at most {MAX_MARKS_PER_LETTER} accents or marks on one letter")
    name = " ".join(text.split())  # any kind of space, as one space
    if not name:
        raise ValueError("must not be blank")
    if not any(unicodedata.category(c)[0] == "L" for c in name):
        raise ValueError("must contain a letter")
    return name


def name_key(given_name: str, family_name: str) -> str:
    """The name as duplicates are compared: case-folded, one form, one space."""
    return unicodedata.normalize("NFC", f"{given_name} {family_name}".casefold())


def address_line(text: str) -> str:
    """A line of a postal address as a letter prints it: single spaces, no control or
    formatting characters (bidirectional overrides included), at most 100 characters, and not
    starting with a character GOV.UK Notify refuses there (@ ( ) = [ ] " \\ / , < > ~)."""
    line = " ".join(safe_text(text, multiline=False).split())
    if not line:
        raise ValueError("an address line must not be blank")
    if len(line) > 100:
        raise ValueError("an address line holds at most 100 characters")
    if line[0] in _NOT_FIRST_IN_AN_ADDRESS_LINE:
        raise ValueError(f"an address line must not start with {line[0]}")
    return line


# GOV.UK Notify refuses a letter whose address has a line starting with one of these.
_NOT_FIRST_IN_AN_ADDRESS_LINE = frozenset('@()=[]"\\/,<>~')


def uk_phone(text: str) -> str:
    """A UK phone number as dialled in the UK (``07700900123``); ``+44``/``0044`` accepted."""
    number = re.sub(r"[ \-()]", "", text)
    number = re.sub(r"^(\+44|0044)", "0", number)
    if not re.fullmatch(r"0[1-9][0-9]{8,9}", number):
        raise ValueError("a UK phone number, e.g. 07700 900123 or +44 7700 900123")
    return number


def is_mobile(phone: str) -> bool:
    """UK mobiles are 07 followed by 9 digits (070 and 076 are personal numbers and pagers)."""
    return re.fullmatch(r"07[1-57-9][0-9]{8}", phone) is not None


def age_on(born: date, day: date) -> int:
    """Whole years of age on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def child_age_problem(born: date, requested_on: date) -> str | None:
    """Why a child born on ``born`` is outside the SEND age range (birth to under 25, s83(2))
    on the request day."""
    if born > requested_on:
        return "the date of birth is after the day of the request"
    if age_on(born, requested_on) >= UNDER_AGE:
        return (
            f"the child or young person must be under {UNDER_AGE} on the day of the request "
            "(a young person is under 25: Children and Families Act 2014, s83(2))"
        )
    return None


@dataclass(frozen=True)
class IntakeRules:
    """What a deployment accepts: its councils, and whether test NHS numbers are allowed."""

    councils: frozenset[str]
    accept_test_nhs_numbers: bool


def intake_problems(
    rules: IntakeRules,
    *,
    local_authority: str,
    requested_on: date,
    today: date,
    born: date,
    nhs_number: str | None,
) -> list[tuple[tuple[str, ...], str]]:
    """Each field of a request that this deployment cannot accept, and why."""
    problems: list[tuple[tuple[str, ...], str]] = []
    council = council_problem(local_authority, rules.councils)
    if council:
        problems.append((("local_authority",), council))
    if requested_on > today:
        problems.append((("received_on",), f"must not be in the future (today is {today})"))
    age = child_age_problem(born, requested_on)
    if age:
        problems.append((("child", "date_of_birth"), age))
    if nhs_number and nhs_number_range(nhs_number) == "test" and not rules.accept_test_nhs_numbers:
        problems.append((("child", "nhs_number"), "a test NHS number (999...), never issued"))
    return problems
