"""The words of the family's messages about ceasing their EHC plan (Children and Families Act
2014 s45; SEND Regulations 2014, Reg 31), in English: what the law says they must be told, no
more. That the council is considering ceasing the plan, and that their views are asked for, as
the school's are (Reg 31(1)); a decision to cease, with their right to appeal, its time limit,
mediation (Reg 32), disagreement resolution and advice (Reg 31(3)), and that the plan is kept
until the time to appeal has passed or an appeal is decided (s45(4)); a decision not to cease
(the plan stays). The reasons and the council's contacts are in the letter the link opens."""

from __future__ import annotations

from notifications.ehc_words import _appeal
from notifications.wording import Words

CEASING_TEXTS: dict[str, Words] = {
    "ceasing-proposed": Words(
        subject="We are considering ceasing the EHC plan (reference {reference})",
        body=(
            "We are considering ceasing to maintain the education, health and care (EHC) plan "
            "for {who} (reference {reference}). This would mean the plan ends.\n\n"
            "We have not decided. Before we decide, we are asking for your views, and for the "
            "views of the school or other institution named in the plan. Please tell us your "
            "views by {views_by}.\n\n"
            "The plan stays in place meanwhile.\n\n"
            "See where things stand: {link}"
        ),
        sms=(
            "We are considering ceasing the EHC plan (ref {reference}). We have not decided: "
            "please tell us your views by {views_by}. Details: {link}"
        ),
    ),
    "ceasing-decided": Words(
        subject="We have decided to cease the EHC plan (reference {reference})",
        body=(
            "After asking for your views and the school's, we decided on {decided_on} to cease "
            "to maintain the education, health and care (EHC) plan for {who} (reference "
            "{reference}).\n\n"
            "We will keep the plan until the time to appeal has passed or, if you appeal, until "
            "the appeal is decided.\n\n"
            + _appeal("If you disagree with this decision")
            + "\n\nYou can also use our disagreement resolution service, and get free, "
            "independent information, advice and support from your local SEND information, "
            "advice and support service (SENDIASS).\n\n"
            "Our letter explains our decision and who can help: read it, and see where things "
            "stand, here: {link}"
        ),
        sms=(
            "We have decided to cease the EHC plan (ref {reference}). You can appeal to the "
            "SEND Tribunal by {appeal_by}, or 1 month from a mediation certificate if later. "
            "We keep the plan until the time to appeal has passed or an appeal is decided. "
            "Details: {link}"
        ),
    ),
    "ceasing-not-ceased": Words(
        subject="We will not cease the EHC plan (reference {reference})",
        body=(
            "After asking for your views and the school's, we decided on {decided_on} not to "
            "cease the education, health and care (EHC) plan for {who} (reference "
            "{reference}). The plan stays in place, and will be reviewed as before.\n\n"
            "See where things stand: {link}"
        ),
        sms=(
            "We will not cease the EHC plan (ref {reference}): it stays in place. Details: {link}"
        ),
    ),
}
