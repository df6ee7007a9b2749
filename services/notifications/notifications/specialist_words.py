"""What a family (and the council's SEND team) is told about specialists: one message for a
plan's matching, one for each place that comes up from the waitlist, and a different one when
no team of the kind serves the area (not "everyone is full"). Pure.

Roles are named in plain words in emails and letters; never in texts (a lock screen), and
the specialist teachers of hearing, vision and multi-sensory impairment are "a specialist
teacher" (naming the impairment would say something about the child).
"""

from __future__ import annotations

from notifications.wording import Words
from shared.specialisms import Specialism

ROLE_WORDS: dict[str, str] = {
    Specialism.SPEECH_AND_LANGUAGE_THERAPY: "a speech and language therapist",
    Specialism.EDUCATIONAL_PSYCHOLOGY: "an educational psychologist",
    Specialism.OCCUPATIONAL_THERAPY: "an occupational therapist",
    Specialism.PHYSIOTHERAPY: "a physiotherapist",
    Specialism.HEARING_IMPAIRMENT_TEACHING: "a specialist teacher",
    Specialism.VISION_IMPAIRMENT_TEACHING: "a specialist teacher",
    Specialism.MULTI_SENSORY_IMPAIRMENT_TEACHING: "a specialist teacher",
    Specialism.AUTISM_OUTREACH: "an outreach teacher",
    Specialism.SEMH_SUPPORT: "a wellbeing practitioner",
    Specialism.SPECIALIST_TEACHING: "a specialist teacher",
    "": "a specialist",
}

_STATES = {
    "matched": "{} (matched: they will contact you)",
    "waiting": "{} (on the waiting list: all local places are taken just now)",
    "no_team": "{} (no team of this kind serves your area yet: we have told the council)",
}

HELP_WORDS: dict[str, str] = {
    f"{state}:{role}": shape.format(words)
    for state, shape in _STATES.items()
    for role, words in ROLE_WORDS.items()
    if role
} | {"": "a specialist"}
"""``{help}``'s codes: ``<state>:<role>``, as the catalogue lists a plan's outcomes."""

SPECIALIST_PHRASES = {"help": HELP_WORDS, "role": ROLE_WORDS}

SPECIALIST_TEXTS: dict[str, Words] = {
    "specialists-matched": Words(
        subject="Who will help: your support plan's specialists (reference {reference})",
        body=(
            "A support plan has been drafted for {who} (reference {reference}).\n\n"
            "Who will help: {help}.\n\n"
            "Those matched will contact you to arrange a first session. Where a place is not "
            "free yet, we will write as soon as one is.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "Your support plan's specialists (ref {reference}): who will help and what happens "
            "next are on your page: {link}"
        ),
    ),
    "waitlist-place-found": Words(
        subject="A place with a specialist has come up (reference {reference})",
        body=(
            "Good news: a place has come up for {who} (reference {reference}) with {role}, "
            "who will contact you to arrange a first session.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "Good news: a place with a specialist has come up (ref {reference}). They will "
            "contact you to arrange a first session. Details: {link}"
        ),
    ),
    "no-team-in-area": Words(
        subject="No local service of this kind yet (reference {reference})",
        body=(
            "A support plan has been drafted for {who} (reference {reference}).\n\n"
            "The plan needs {role}, and no team of that kind serves your area at the moment. "
            "This is not a wait for a full team: we have told the council, who must arrange "
            "this help, and we will write as soon as someone is found.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "About your support plan (ref {reference}): no local service of the kind it needs "
            "serves your area yet. We have told the council. Details: {link}"
        ),
    ),
    "first-session-arranged": Words(
        subject="The first session with a specialist is arranged (reference {reference})",
        body=(
            "The first session for {who} (reference {reference}) with {role} is on "
            "{session_on}.\n\n"
            "If the day does not suit you, please contact the specialist.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "The first session with a specialist (ref {reference}) is on {session_on}. "
            "Details: {link}"
        ),
    ),
    "child-allocated-to-team": Words(
        subject="A child has been allocated to your team (referral {reference})",
        body=(
            "A child needing {role} has been allocated to your team (referral {reference}). "
            "Please accept the allocation and arrange a first session with the family.\n\n"
            "Your caseload: {link}"
        ),
        sms="A child has been allocated to your team (referral {reference}). {link}",
    ),
    "service-gap": Words(
        subject="Service gap: no team serves the area (referral {reference})",
        body=(
            "Referral {reference} needs {role}, and no team of that kind in the registry "
            "serves the child's area. The child is waiting for it; the capacity report "
            "(GET /v1/reports/capacity) lists every such gap.\n\n"
            "Open the referral: {link}"
        ),
        sms="Service gap: no team of the kind needed serves referral {reference}. {link}",
    ),
}
