"""What each message says, in plain English: the project's own words, sent as they are by email
(SMTP) and the log channel, and the text of the GOV.UK Notify templates a council creates (the
same words with Notify's ``((placeholders))``). Pure.

Messages say what happened and where to look, never the child's name or needs: a text can be
read on a lock screen, and the family already knows their child. A young person who asked for
help themselves is told "you" (``who``, ``whose``, ``who_is``). Welsh and other languages are
added as ``TEXTS["cy"]`` etc. by the council's translators; a language without a message falls
back to English.

(Longer than most modules: the support track's words and every other word list, gathered once.)
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import date

from notifications.ceasing_words import CEASING_TEXTS
from notifications.ehc_words import EHC_PHRASES, EHC_TEXTS
from notifications.others_words import OTHERS_PHRASES, OTHERS_TEXTS
from notifications.partner_words import PARTNER_PHRASES, PARTNER_TEXTS
from notifications.plan_words import PLAN_TEXTS
from notifications.reassessment_words import REASSESSMENT_TEXTS
from notifications.review_warning_words import REVIEW_WARNING_PHRASES, REVIEW_WARNING_TEXTS
from notifications.review_words import REVIEW_PHRASES, REVIEW_TEXTS
from notifications.specialist_words import SPECIALIST_PHRASES, SPECIALIST_TEXTS
from notifications.wording import Phrases, Words

DEFAULT_LANGUAGE = "en"

TEXTS: dict[str, dict[str, Words]] = {
    "en": {
        "request-received": Words(
            subject="We have received the request for support (reference {reference})",
            body=(
                "We received the request for support for {who} on {received_on}. "
                "Your reference is {reference}.\n\n"
                "What happens next: we are drafting a support plan and looking for a "
                "specialist near you. We will write again when a specialist has been "
                "matched.\n\n"
                "See where things stand at any time: {link}"
            ),
            sms=(
                "We received the request for support (ref {reference}). We will tell you "
                "what happens next and when. Details: {link}"
            ),
        ),
        "confirm-request": Words(
            subject="Confirm your request for help (reference {reference})",
            body=(
                "We received a request for help for {who} on {received_on}. Your reference "
                "is {reference}.\n\n"
                "Please confirm it came from you: open this link and select Confirm. {link}\n\n"
                "Once you confirm, we will start work on it. The request is dated "
                "{received_on}, the day we received it, whenever you confirm it.\n\n"
                "If you did not ask for this, you do not need to do anything: nothing "
                "happens until the request is confirmed."
            ),
            sms=(
                "Please confirm your request for help (ref {reference}): open {link} and "
                "select Confirm. If you did not ask for this, ignore this message."
            ),
        ),
        "specialist-assigned": Words(
            subject="A specialist has been matched (reference {reference})",
            body=(
                "Good news: a specialist has been matched to support {who} "
                "(reference {reference}).\n\n"
                "They will contact you to arrange a first session.\n\n"
                "Follow progress: {link}"
            ),
            sms=(
                "Good news: a specialist has been matched (ref {reference}). They will "
                "contact you to arrange a first session. Details: {link}"
            ),
        ),
        "referral-waitlisted": Words(
            subject="On the waiting list for a specialist (reference {reference})",
            body=(
                "A support plan has been drafted for {who} (reference {reference}).\n\n"
                "Every local specialist of the right kind is full just now, so {who_is} on "
                "the waiting list. We will tell you as soon as a place frees up.\n\n"
                "Follow progress: {link}"
            ),
            sms=(
                "A support plan has been drafted (ref {reference}). Local specialists are "
                "full, so we have added you to the waiting list. Details: {link}"
            ),
        ),
        **EHC_TEXTS,
        **PLAN_TEXTS,
        **REVIEW_TEXTS,
        **CEASING_TEXTS,
        **REASSESSMENT_TEXTS,
        **SPECIALIST_TEXTS,
        **PARTNER_TEXTS,
        **OTHERS_TEXTS,
        **REVIEW_WARNING_TEXTS,
    }
}
PHRASES: dict[str, Phrases] = {
    "en": Phrases(
        codes={
            **EHC_PHRASES.codes,
            **SPECIALIST_PHRASES,
            **PARTNER_PHRASES,
            **OTHERS_PHRASES,
            **REVIEW_WARNING_PHRASES,
            **REVIEW_PHRASES,
        }
    )
}

_FIELD = re.compile(r"\{(\w+)\}")


def words(template: str, language: str) -> Words:
    """The message in ``language``, else in English."""
    return TEXTS.get(language, {}).get(template) or TEXTS[DEFAULT_LANGUAGE][template]


def long_date(day: date) -> str:
    """GOV.UK style: 14 April 2026."""
    return f"{day.day} {day:%B %Y}"


def phrase(placeholder: str, code: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The words for ``code`` (``refusal_reason``, kinds of advice...) in ``language``."""
    codes = PHRASES.get(language, PHRASES[DEFAULT_LANGUAGE]).codes[placeholder]
    return codes.get(code) or codes.get(code.partition(":")[0]) or codes[""]


def _listed(items: list[str], phrases: Phrases) -> str:
    unique = list(dict.fromkeys(items))
    return (
        unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} {phrases.and_} {unique[-1]}"
    )


def _value(name: str, value: str | list[str] | dict[str, str], language: str) -> str:
    phrases = PHRASES.get(language, PHRASES[DEFAULT_LANGUAGE])
    if isinstance(value, dict):  # deadlines and their dates, soonest first
        dated = sorted(value.items(), key=lambda item: item[1])
        return "; ".join(
            f"{phrase('deadline', code, language)} {phrases.by} {_long(day)}" for code, day in dated
        )
    if isinstance(value, list):
        return _listed([phrase(name, code, language) for code in value], phrases)
    if name in phrases.codes:
        return phrase(name, value, language)
    if value.isdigit():  # a count (days_left)
        return value
    return _long(value)


def _long(iso: str) -> str:
    return long_date(date.fromisoformat(iso))


def personalisation(
    *,
    reference: str,
    link: str,
    young_person: bool,
    details: Mapping[str, str | list[str] | dict[str, str]],
    language: str = DEFAULT_LANGUAGE,
    representative: bool = False,
) -> dict[str, str]:
    """Every placeholder's value (also Notify's ``personalisation``): no personal data. Dates
    are written the GOV.UK way; codes become words in ``language``. The words are for the
    family (``your child``), a young person who asked for themselves (``you``), or the
    representative of a young person who lacks mental capacity (``the young person``, s80)."""
    if representative:
        who, whose, who_is = "the young person", "the young person's", "the young person is"
    elif young_person:
        who, whose, who_is = "you", "your", "you are"
    else:
        who, whose, who_is = "your child", "your child's", "your child is"
    fields = {"reference": reference, "link": link, "who": who, "whose": whose, "who_is": who_is}
    for name, value in details.items():
        fields[name] = _value(name, value, language)
    return fields


def fields_of(template: str) -> set[str]:
    """The placeholders a message uses, in any of its parts."""
    w = TEXTS[DEFAULT_LANGUAGE][template]
    return set(_FIELD.findall(w.subject + w.body + w.sms))


def render(text: str, fields: dict[str, str]) -> str:
    return _FIELD.sub(lambda m: fields[m.group(1)], text)


def email_parts(w: Words, fields: dict[str, str]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of an email; the HTML escapes every value."""
    plain = render(w.body, fields)
    escaped = {k: html.escape(v) for k, v in fields.items()}
    linked = {**escaped, "link": f'<a href="{escaped["link"]}">{escaped["link"]}</a>'}
    paragraphs = "".join(
        f"<p>{render(html.escape(p, quote=False), linked)}</p>" for p in w.body.split("\n\n")
    )
    page = (
        '<!DOCTYPE html><html lang="en"><body style="font-family: Arial, sans-serif; '
        f'font-size: 19px; line-height: 1.4">{paragraphs}</body></html>'
    )
    return render(w.subject, fields), plain, page


def as_notify(text: str) -> str:
    """The words with Notify's placeholder syntax, ``((reference))``."""
    return _FIELD.sub(lambda m: f"(({m.group(1)}))", text)
