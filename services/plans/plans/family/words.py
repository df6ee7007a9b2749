"""A plan in a family's words: how often, how long, with whom, where; dates as GOV.UK writes
them. Pure. Aimed at a reading age of 9 to 11: short words, no codes, no jargon."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from plans.document import Provision

_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_TIMES = {1: "once", 2: "twice"}
_PREPOSITIONS = ("in ", "at ", "on ", "by ", "from ", "with ", "during ", "online", "at home")

AREA_WORDS = {
    "communication and interaction": "Talking, listening and getting on with others",
    "cognition and learning": "Learning, thinking and remembering",
    "social, emotional and mental health": "Feelings, behaviour and wellbeing",
    "sensory and/or physical": "Hearing, seeing, moving or other physical needs",
}

STATUS_WORDS = {
    "shared": "Shared with you for your comments",
    "issued_for_comment": "Draft plan: we would like your comments",
    "agreed": "Agreed",
    "final": "Final plan",
    "review_due": "Final plan, due to be reviewed",
    "amendments_proposed": "Changes we propose after the annual review: we would like your "
    "comments. Until we issue the amended plan, the final plan stays as it is",
}
"""The statuses a family may see the plan in; in any other the plan is still being prepared."""

STAFF_STATUS_WORDS = {
    "draft": "Draft, not yet shared with the family",
    "needs_attention": "Draft that needs attention, not yet shared with the family",
    "changes_requested": "Being changed after the family's comments",
}
"""The statuses only staff see the plan in (the caseworker's PDF)."""

OPEN_FOR_COMMENTS = ("shared", "issued_for_comment", "amendments_proposed")

PREPARING_WORDS = {
    "changes_requested": "We are changing your child's plan after your comments.",
}
PREPARING_DEFAULT = "We are still writing your child's plan."


def number(n: int) -> str:
    """``3`` as "three", up to ten; digits after that (GOV.UK style)."""
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def how_often(sessions_per_week: float) -> str:
    """2 -> "twice a week"; 0.5 -> "once every 2 weeks"; 1.5 -> "3 times every 2 weeks"."""
    rate = Fraction(sessions_per_week).limit_denominator(12)
    times, weeks = rate.numerator, rate.denominator
    said = _TIMES.get(times, f"{number(times)} times")
    return f"{said} a week" if weeks == 1 else f"{said} every {weeks} weeks"


def how_long(minutes: int) -> str:
    """30 -> "30 minutes"; 60 -> "1 hour"; 90 -> "1 hour and 30 minutes"."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours > 1 else ""))
    if rest:
        parts.append(f"{rest} minute" + ("s" if rest > 1 else ""))
    return " and ".join(parts)


def for_weeks(weeks: int) -> str:
    return f"for {weeks} week" + ("s" if weeks > 1 else "")


def group(size: int) -> str:
    """1 -> "on their own with the adult"; 4 -> "in a group of up to 4 children"."""
    return "on their own with the adult" if size == 1 else f"in a group of up to {size} children"


def where(place: str) -> str:
    """A place as the end of a sentence: "school" -> "at school"; "a quiet room" -> "in a
    quiet room"; "in class" stays."""
    text = place.strip()
    lowered = text.lower()
    if lowered.startswith(_PREPOSITIONS):
        return text
    return f"in {text}" if lowered.startswith(("a ", "an ", "the ")) else f"at {text}"


def in_words(line: Provision) -> str:
    """The whole line in one sentence: "Twice a week, 30 minutes each time, for 12 weeks,
    in a group of up to 4 children, at school, with a speech and language therapist."""
    sentence = ", ".join(
        [
            how_often(line.sessions_per_week),
            f"{how_long(line.minutes_per_session)} each time",
            for_weeks(line.weeks),
            group(line.group_size),
            where(line.where),
            f"with {line.delivered_by}",
        ]
    )
    return f"{sentence[:1].upper()}{sentence[1:]}."


def long_date(day: date) -> str:
    """GOV.UK style: 15 July 2027."""
    return f"{day.day} {day:%B %Y}"


def sentence_case(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}"
