"""The words of the warnings the council's SEND team is sent when a limit of a plan's annual
review (Regs 20-22) is near with its step not recorded, and when it has passed: the referral's
reference, which limit, its day, and the link to the referral in the workspace. Never the
child's name or needs: the team reads those in the workspace. Pure."""

from __future__ import annotations

from notifications.wording import Words

REVIEW_LIMITS: dict[str, str] = {
    "review_meeting": "the annual review meeting (at most 12 months after the plan was issued "
    "or last reviewed, Reg 20)",
    "review_invitations": "the invitations to the review meeting (at least 2 weeks before it, "
    "Reg 20(4))",
    "review_report": "the review meeting's report (within 2 weeks of the meeting, Reg 20(7))",
    "review_decision": "the decision after the review (within 4 weeks of the meeting, Reg 20(10))",
    "amended_plan": "the amended EHC plan (within 8 weeks of the proposed changes, Reg 22, and "
    "12 weeks of the meeting)",
    "": "a step of the annual review",
}

REVIEW_WARNING_PHRASES = {"review_limit": REVIEW_LIMITS}

REVIEW_WARNING_TEXTS: dict[str, Words] = {
    "annual-review-limit-at-risk": Words(
        subject="Annual review limit at risk, referral {reference}: due {due_on}",
        body=(
            "A time limit of the annual review of the EHC plan for referral {reference} is "
            "close and its step has not been recorded: {review_limit}, due {due_on}. Days "
            "left: {days_left}.\n\n"
            "Open the referral: {link}"
        ),
        sms="Annual review limit at risk, referral {reference}: due {due_on}. Open: {link}",
    ),
    "annual-review-limit-missed": Words(
        subject="Annual review limit missed, referral {reference}: was due {due_on}",
        body=(
            "A time limit of the annual review of the EHC plan for referral {reference} has "
            "passed without its step being recorded: {review_limit}, due {due_on}.\n\n"
            "Record the step as soon as you can.\n\n"
            "Open the referral: {link}"
        ),
        sms="Annual review limit missed, referral {reference}: was due {due_on}. Open: {link}",
    ),
}
