"""The words of the messages a plan's annual review causes (Regs 18-22, s45, Reg 31), in
English: what the law says the family must be told, no more. The invitation to the review
meeting, asking for their advice and views at least 2 weeks before it (Reg 20(3)-(4)); the
meeting's report (Reg 20(7)); the council's decision (Reg 20(10)): not to amend the plan, which
can be appealed; to amend it, with the proposed changes to follow and at least 15 days to
comment on them (Reg 22); or to consider ceasing it, which the council may decide only after
informing and consulting the family and the school (s45, Reg 31)."""

from __future__ import annotations

from notifications.ehc_words import _appeal
from notifications.wording import Words

REVIEW_TEXTS: dict[str, Words] = {
    "annual-review-invitation": Words(
        subject="You are invited to the review of the EHC plan (reference {reference})",
        body=(
            "The education, health and care (EHC) plan for {who} (reference {reference}) is "
            "being reviewed, as it must be at least once a year.\n\n"
            "You are invited to the review meeting on {meeting_on}. The school, health and "
            "social care are invited too.\n\n"
            "Please send us your advice and information about {who}, and your views, before "
            "the meeting. We will send everyone what we receive at least 2 weeks before it.\n\n"
            "See the plan and where things stand: {link}"
        ),
        sms=(
            "You are invited to the review of the EHC plan (ref {reference}) on {meeting_on}. "
            "Please send us your views before it. Details: {link}"
        ),
    ),
    "annual-review-report": Words(
        subject="The report of the EHC plan's review (reference {reference})",
        body=(
            "We have sent you the report of the review meeting held on {held_on} for the EHC "
            "plan of {who} (reference {reference}).\n\n"
            "We will tell you by {decision_due} whether we will keep the plan as it is, amend "
            "it, or consider ending it.\n\n"
            "See where things stand: {link}"
        ),
        sms=(
            "We have sent you the report of the EHC plan's review (ref {reference}). Our "
            "decision follows by {decision_due}. Details: {link}"
        ),
    ),
    "annual-review-kept": Words(
        subject="We will keep the EHC plan as it is (reference {reference})",
        body=(
            "After the review, we have decided not to amend the EHC plan for {who} (reference "
            "{reference}): it stays as it is. The next review is due by {next_review_due}.\n\n"
            + _appeal("If you disagree", unless="")
            + "\n\nSee the plan: {link}"
        ),
        sms=(
            "After the review we will not amend the EHC plan (ref {reference}). You can "
            "appeal to the SEND Tribunal by {appeal_by}, or 1 month from a mediation certificate "
            "if later. Mediation advice is available. "
            "Details: {link}"
        ),
    ),
    "annual-review-amend": Words(
        subject="We propose to amend the EHC plan (reference {reference})",
        body=(
            "After the review, we propose to amend the EHC plan for {who} (reference "
            "{reference}).\n\n"
            "We will send you the proposed changes. You will have at least 15 days to comment "
            "on them, to ask for a particular school or college to be named, and to ask to "
            "meet us.\n\n"
            "See where things stand: {link}"
        ),
        sms=(
            "After the review we propose to amend the EHC plan (ref {reference}). We will "
            "send you the changes to comment on. Details: {link}"
        ),
    ),
    "amendments-proposed": Words(
        subject="The proposed changes to the EHC plan (reference {reference})",
        body=(
            "We have sent you the changes we propose to make to the EHC plan for {who} "
            "(reference {reference}).\n\n"
            "You can comment on them until {comments_due}. You can also ask for a "
            "particular school or college to be named in the plan, and ask to meet us to "
            "talk about the changes.\n\n"
            "We will send you the amended plan by {amended_plan_due}.\n\n"
            "See where things stand: {link}"
        ),
        sms=(
            "We have sent you the proposed changes to the EHC plan (ref {reference}). Comment "
            "by {comments_due}. Details: {link}"
        ),
    ),
    "amended-plan-issued": Words(
        subject="The amended EHC plan (reference {reference})",
        body=(
            "We have issued the amended EHC plan for {who} (reference {reference}) on "
            "{issued_on}.\n\n" + _appeal("If you disagree with it") + "\n\nSee the plan: {link}"
        ),
        sms=(
            "We have issued the amended EHC plan (ref {reference}). You can appeal to the SEND "
            "Tribunal by {appeal_by}, or 1 month from a mediation certificate if later. "
            "Mediation advice is available. Details: {link}"
        ),
    ),
    # A phase transfer (Reg 18): the plan naming the next school or college, and the date the
    # law sets for it not met (the law's own date, "before 15 February", stated exactly).
    "amended-plan-issued-transfer": Words(
        subject="The amended EHC plan naming the next school or college (reference {reference})",
        body=(
            "We have issued the amended EHC plan for {who} (reference {reference}) on "
            "{issued_on}. It names the school or college for {whose} move {move} in "
            "September {transfer_year}.\n\n"
            + _appeal("If you disagree with it")
            + "\n\nSee the plan: {link}"
        ),
        sms=(
            "We have issued the amended EHC plan naming the next school or college (ref "
            "{reference}). You can appeal to the SEND Tribunal by {appeal_by}, or 1 month from a "
            "mediation certificate if later. Mediation advice is available. Details: {link}"
        ),
    ),
    "phase-transfer-missed-family": Words(
        subject="The amended EHC plan was not issued in time for the move (reference {reference})",
        body=(
            "We are sorry. For {whose} move {move} in September {transfer_year}, the law "
            "says the EHC plan must be reviewed, and the amended plan naming the next school "
            "or college issued, before {law_due}. We did not issue it by then (reference "
            "{reference}).\n\n"
            "We are working to issue it as soon as we can.\n\n"
            "If you are unhappy about the delay, you can complain to us, and then to the "
            "Local Government and Social Care Ombudsman.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "We are sorry: the amended EHC plan naming the next school or college (ref "
            "{reference}) was not issued before {law_due}, as the law requires. Details: {link}"
        ),
    ),
    "annual-review-cease-considered": Words(
        subject="We are considering ending the EHC plan (reference {reference})",
        body=(
            "After the review, we are considering ending (ceasing) the EHC plan for {who} "
            "(reference {reference}).\n\n"
            "We have not decided. Before we decide, we will ask for your views and the "
            "school's. The plan stays in place meanwhile.\n\n"
            "See where things stand: {link}"
        ),
        sms=(
            "After the review we are considering ending the EHC plan (ref {reference}). We "
            "have not decided and will ask your views first. Details: {link}"
        ),
    ),
}

MOVES = {
    "early_years_to_primary": "from early years to primary or infant school",
    "infant_to_junior": "from infant to junior school",
    "primary_to_secondary": "from primary to secondary school",
    "secondary_to_post_16": "from secondary school to a post-16 institution",
    "": "to the next school or college",
}
REVIEW_PHRASES = {"move": MOVES}
"""A phase transfer's move in words, by its kind."""
