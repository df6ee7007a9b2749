"""The words of the messages a plan transferred in (Reg 15) and a re-assessment (Regs 24-27)
cause, in English: what the law says the family must be told, no more. Within 6 weeks of a
transfer, that the plan was transferred and whether the new council will make a new EHC needs
assessment (Reg 15); within 15 days of a request, whether the council will re-assess (Reg 24),
a refusal with the right to appeal (s51); and the re-assessment's outcome, the amended plan or
a decision not to amend it, either of which can be appealed."""

from __future__ import annotations

from notifications.ehc_words import _appeal
from notifications.wording import Words

_TAKEN_OVER = (
    "The EHC plan for {who} (reference {reference}) has been transferred to us from your "
    "previous council. We have taken it over as it is, and will make the provision in it.\n\n"
)

REASSESSMENT_TEXTS: dict[str, Words] = {
    "transferred-plan-reassess": Words(
        subject="We have taken over the EHC plan (reference {reference})",
        body=(
            _TAKEN_OVER + "We will carry out a new EHC needs assessment. We will send you the "
            "amended plan, or tell you that we will not amend it, by {finalise_by}.\n\n"
            "The plan will be reviewed by {review_due}.\n\nSee the plan: {link}"
        ),
        sms=(
            "We have taken over the EHC plan (ref {reference}) and will carry out a new EHC "
            "needs assessment. Details: {link}"
        ),
    ),
    "transferred-plan-kept": Words(
        subject="We have taken over the EHC plan (reference {reference})",
        body=(
            _TAKEN_OVER + "We will not carry out a new EHC needs assessment.\n\n"
            "The plan will be reviewed by {review_due}.\n\nSee the plan: {link}"
        ),
        sms=(
            "We have taken over the EHC plan (ref {reference}). We will not carry out a new "
            "EHC needs assessment. Details: {link}"
        ),
    ),
    "reassessment-agreed": Words(
        subject="We will re-assess the needs in the EHC plan (reference {reference})",
        body=(
            "We have decided to carry out a re-assessment of the education, health and care "
            "needs of {who} (reference {reference}).\n\n"
            "We will send you the amended plan, or tell you that we will not amend it, by "
            "{finalise_by}. The plan stays in place meanwhile.\n\nSee where things stand: {link}"
        ),
        sms=(
            "We will carry out a re-assessment for the EHC plan (ref {reference}). The outcome "
            "by {finalise_by}. Details: {link}"
        ),
    ),
    "reassessment-refused": Words(
        subject="We will not re-assess the needs in the EHC plan (reference {reference})",
        body=(
            "We have decided not to carry out a re-assessment of the education, health and "
            "care needs of {who} (reference {reference}). The plan stays as it is.\n\n"
            + _appeal("If you disagree")
            + "\n\nSee where things stand: {link}"
        ),
        sms=(
            "We will not carry out a re-assessment for the EHC plan (ref {reference}). You can "
            "appeal to the SEND Tribunal by {appeal_by}, or 1 month from a mediation certificate "
            "if later. Mediation advice is available. "
            "Details: {link}"
        ),
    ),
    "reassessment-plan-amended": Words(
        subject="The amended EHC plan after the re-assessment (reference {reference})",
        body=(
            "After the re-assessment, we have issued the amended EHC plan for {who} (reference "
            "{reference}) on {concluded_on}.\n\n"
            + _appeal("If you disagree with it")
            + "\n\nSee the plan: {link}"
        ),
        sms=(
            "After the re-assessment we have issued the amended EHC plan (ref {reference}). "
            "You can appeal to the SEND Tribunal by {appeal_by}, or 1 month from a mediation "
            "certificate if later. Mediation advice is available. "
            "Details: {link}"
        ),
    ),
    "reassessment-not-amended": Words(
        subject="We will not amend the EHC plan after the re-assessment (reference {reference})",
        body=(
            "After the re-assessment, we have decided not to amend the EHC plan for {who} "
            "(reference {reference}): it stays as it is.\n\n"
            + _appeal("If you disagree")
            + "\n\nSee the plan: {link}"
        ),
        sms=(
            "After the re-assessment we will not amend the EHC plan (ref {reference}). You can "
            "appeal to the SEND Tribunal by {appeal_by}, or 1 month from a mediation certificate "
            "if later. Mediation advice is available. "
            "Details: {link}"
        ),
    ),
}
