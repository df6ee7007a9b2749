"""What a family is told of an NHS partner's referral waiting for triage, and what the
council's SEND team is told when an NHS partner's referral is held for matching
(the child may already be known: referrals holds the request rather than tell the partner).
Field names and codes only: the child's details are in the held request, for a caseworker to
read where they work. Pure."""

from __future__ import annotations

from notifications.wording import Words

HELD_REASON_WORDS: dict[str, str] = {
    "already-referred": "the child seems to have this open referral already",
    "child-details-differ": (
        "the NHS number is this referral's child's, but with another name or date of birth"
    ),
    "": "the child may already be known",
}

DIFFERS_WORDS: dict[str, str] = {
    "child.nhs_number": "the NHS number",
    "child.name": "the name",
    "child.date_of_birth": "the date of birth",
    "child.postcode": "the postcode",
    "none": "none",
    "": "some of the child's details",
}

PARTNER_PHRASES = {"held_reason": HELD_REASON_WORDS, "differs": DIFFERS_WORDS}

PARTNER_TEXTS: dict[str, Words] = {
    # An NHS partner's referral without a SEN2 need (#23): received, and a caseworker decides
    # the need before the plan and the specialist. Otherwise the words of request-received.
    "request-received-triage": Words(
        subject="We have received the request for support (reference {reference})",
        body=(
            "We received the request for support for {who} on {received_on}. "
            "Your reference is {reference}.\n\n"
            "What happens next: a caseworker will read the request and decide what support "
            "your child needs. Then we will draft a support plan and look for a specialist "
            "near you. We will write again when a specialist has been matched.\n\n"
            "See where things stand at any time: {link}"
        ),
        sms=(
            "We received the request for support (ref {reference}). We will tell you what "
            "happens next and when. Details: {link}"
        ),
    ),
    "partner-referral-held": Words(
        subject="A partner's referral is held for you to match, referral {reference}",
        body=(
            "An NHS partner referred a child who may be the child of referral {reference}: "
            "{held_reason}. Details that differ: {differs}.\n\n"
            "Nothing has been sent to the family, and the partner was told only that its "
            "referral was received. Decide what becomes of it in the held referrals "
            "(GET /v1/held-referrals): join it to the open referral, take it in as a "
            "referral of its own, or decline it.\n\n"
            "Open the referral: {link}"
        ),
        sms="A partner's referral is held for you to match, referral {reference}. {link}",
    ),
}
