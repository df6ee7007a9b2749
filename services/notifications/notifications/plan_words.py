"""The words of the messages a plan's life causes, in English. Like every message: what
happened and where to look, never the child's needs or the plan's words. On the EHC track the
draft and the final plan are told by the statutory messages (``ehc_words``), not here."""

from __future__ import annotations

from notifications.wording import Words

PLAN_TEXTS: dict[str, Words] = {
    "plan-shared": Words(
        subject="Your support plan is ready to read (reference {reference})",
        body=(
            "We have written a support plan for {who} (reference {reference}). It sets out "
            "the help {who} will get and what it is for.\n\n"
            "Please read it and tell us whether you agree, or what you would like changed. "
            "You can reply on the plan's page, or call us.\n\n"
            "Read the plan: {link}"
        ),
        sms=(
            "Your support plan is ready to read (ref {reference}). Tell us if you agree or "
            "want changes: {link}"
        ),
    ),
    "plan-review-due": Words(
        subject="It is time to review the plan (reference {reference})",
        body=(
            "The plan for {who} (reference {reference}) is due for review on {review_due}.\n\n"
            "We will be in touch to arrange the review. Before it, think about what is going "
            "well and what is not: your views, and {whose}, matter most.\n\n"
            "See the plan: {link}"
        ),
        sms=(
            "The plan (ref {reference}) is due for review on {review_due}. We will be in "
            "touch to arrange it. Details: {link}"
        ),
    ),
    "plan-comments-received": Words(
        subject="A family responded to their plan, referral {reference}",
        body=(
            "The family of referral {reference} sent their response to the plan on "
            "{received_on}.\n\n"
            "Read it with the version it was about, and record what happens next: {link}"
        ),
        sms="A family responded to their plan, referral {reference}. Open: {link}",
    ),
}
