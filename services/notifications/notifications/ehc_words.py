"""The words of the statutory EHC process's messages (SEND Regulations 2014), in English.

Texts carry only the reference, the link, dates and the deadline's name: never a reason or a
kind of advice, which could say something about the child's needs on a lock screen. A refusal
says how to appeal to the SEND Tribunal, by when, and that mediation advice is available
(Regs 5(3), 10(1)): a mediation adviser must be contacted before most appeals.

(Longer than most modules: a word list, one short function per statutory message; split, the
wording a reviewer compares would be scattered.)
"""

from __future__ import annotations

from notifications.wording import Phrases, Words

_HOW_TO_APPEAL = "Find out how to appeal: https://www.gov.uk/appeal-ehc-plan-decision"
_MEDIATION = (
    "Before you appeal, you need to contact a mediation adviser{unless}. They will tell you "
    "about mediation (a free, independent meeting to try to settle the disagreement) and give "
    "you the certificate you need to appeal. Mediation advice is free, and you do not have to "
    "go to mediation to appeal."
)


def _appeal(appeal_against: str, unless: str = "", appeal_from: str = "our decision") -> str:
    return (
        f"{appeal_against}, you can appeal to the Special Educational Needs and Disability "
        "(SEND) Tribunal. You must appeal by {appeal_by} (2 months from the date of "
        f"{appeal_from}), or within 1 month of the date on your mediation certificate if that "
        "is later.\n\n"
        f"{_MEDIATION.format(unless=unless)}\n\n{_HOW_TO_APPEAL}"
    )


EHC_TEXTS: dict[str, Words] = {
    "ehc-assessment-requested": Words(
        subject="We are considering the request for an EHC needs assessment (reference "
        "{reference})",
        body=(
            "We received a request for an education, health and care (EHC) needs assessment "
            "for {who} on {ehc_requested_on}. Your reference is {reference}.\n\n"
            "We will decide whether to carry out an assessment and tell you by {decision_due}. "
            "Before we decide, you can tell us your views and send us anything you think we "
            "should see.\n\n"
            "If we carry out an assessment and issue an EHC plan, the final plan is due by "
            "{final_plan_due}. Any support already agreed carries on in the meantime.\n\n"
            "See where things stand at any time: {link}"
        ),
        sms=(
            "We received the request for an EHC needs assessment (ref {reference}). We will "
            "tell you our decision by {decision_due}. Details: {link}"
        ),
    ),
    "assessment-agreed": Words(
        subject="We will carry out an EHC needs assessment (reference {reference})",
        body=(
            "We have decided to carry out an education, health and care (EHC) needs assessment "
            "for {who} (reference {reference}).\n\n"
            "What happens next: we will ask for your views and for advice from professionals, "
            "such as an educational psychologist. We will then decide whether to issue an EHC "
            "plan. If we do, you will see a draft first.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "We will carry out an EHC needs assessment (ref {reference}). We will ask for your "
            "views and for professionals' advice. Details: {link}"
        ),
    ),
    "assessment-refused": Words(
        subject="We will not carry out an EHC needs assessment (reference {reference})",
        body=(
            "We have decided not to carry out an education, health and care (EHC) needs "
            "assessment for {who} (reference {reference}). We made this decision on "
            "{decided_on}.\n\n"
            "Why: {reason}.\n\n" + _appeal("If you disagree") + "\n\n"
            "Our letter explains our decision and who can help: read it, and see where "
            "things stand, here: {link}"
        ),
        sms=(
            "We will not carry out an EHC needs assessment (ref {reference}). You can appeal "
            "to the SEND Tribunal by {appeal_by}, or 1 month from a mediation certificate if "
            "later. Mediation advice is available. Details: {link}"
        ),
    ),
    "advice-requested": Words(
        subject="We have asked for advice for the EHC needs assessment (reference {reference})",
        body=(
            "As part of the EHC needs assessment for {who} (reference {reference}), we have "
            "asked for {advice}.\n\n"
            "It is due by {due_on}. Some professionals may contact you to arrange to meet "
            "{who}.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "We have asked for advice for the EHC needs assessment (ref {reference}). It is "
            "due by {due_on}. Details: {link}"
        ),
    ),
    # To the adviser (Reg 6), never naming the child: the link shows whom it is about.
    "advice-asked": Words(
        subject="Advice asked for an EHC needs assessment (reference {reference})",
        body=(
            "The council asks for your {advice_asked} for an education, health and care (EHC) "
            "needs assessment (reference {reference}).\n\n"
            "Please send it by {due_on}: the law gives you 6 weeks from being asked "
            "(regulation 8 of the SEND Regulations 2014).\n\n"
            "See what is asked and send your advice here: {link}\n\n"
            "The link works for this assessment only. Please do not forward it."
        ),
        sms="Advice asked for an EHC needs assessment (ref {reference}), due {due_on}: {link}",
    ),
    "plan-to-be-issued": Words(
        subject="We will issue an EHC plan (reference {reference})",
        body=(
            "We have decided to issue an education, health and care (EHC) plan for {who} "
            "(reference {reference}).\n\n"
            "What happens next: we will send you a draft plan. You will have at least 15 days "
            "to comment on it and to ask for a particular school or other setting to be "
            "named in it.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "We will issue an EHC plan (ref {reference}). We will send you a draft to comment "
            "on first. Details: {link}"
        ),
    ),
    "plan-not-issued": Words(
        subject="We will not issue an EHC plan (reference {reference})",
        body=(
            "After the EHC needs assessment, we have decided not to issue an education, "
            "health and care (EHC) plan for {who} (reference {reference}). We made this "
            "decision on {decided_on}.\n\n"
            "Why: {reason}.\n\n" + _appeal("If you disagree") + "\n\n"
            "Our letter explains our decision and who can help: read it, and see where "
            "things stand, here: {link}"
        ),
        sms=(
            "We will not issue an EHC plan (ref {reference}). You can appeal to the SEND "
            "Tribunal by {appeal_by}, or 1 month from a mediation certificate if later. "
            "Mediation advice is available. Details: {link}"
        ),
    ),
    "draft-plan-issued": Words(
        subject="The draft EHC plan is ready for your comments (reference {reference})",
        body=(
            "We have sent you the draft education, health and care (EHC) plan for {who} "
            "(reference {reference}).\n\n"
            "You have at least 15 days to comment: please send us your comments by "
            "{comments_due}. You have the right to ask for a meeting with one of our officers "
            "to discuss the draft plan.\n\n"
            "You can ask for a particular school, college or other setting to be named in the "
            "plan. Tell us by {comments_due}. The list of schools and colleges is published in "
            "our Local Offer.\n\n"
            "The final plan is due by {final_plan_due}.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "The draft EHC plan is ready (ref {reference}). Send us your comments, and any "
            "school you would like named, by {comments_due}. Details: {link}"
        ),
    ),
    "final-plan-issued": Words(
        subject="The final EHC plan has been issued (reference {reference})",
        body=(
            "We issued the final education, health and care (EHC) plan for {who} on "
            "{issued_on} (reference {reference}).\n\n"
            + _appeal(
                "If you disagree with the special educational needs it describes, the support "
                "it sets out or the school or setting it names (sections B, F and I)",
                unless=", unless you only disagree with the school or setting named",
                appeal_from="the plan",
            )
            + "\n\nWe will review the plan at least once a year.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "The final EHC plan has been issued (ref {reference}). If you disagree with it, "
            "you can appeal to the SEND Tribunal by {appeal_by}, or 1 month from a mediation "
            "certificate if later. Details: {link}"
        ),
    ),
    "deadlines-moved": Words(
        subject="Dates for the EHC needs assessment have changed (reference {reference})",
        body=(
            "The law allows some time limits to be extended in certain cases. Because of "
            "{exception}, dates for the EHC needs assessment for {who} (reference "
            "{reference}) have changed.\n\n"
            "The new dates: {new_dates}.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "Dates for the EHC needs assessment have changed (ref {reference}). See the new "
            "dates: {link}"
        ),
    ),
    "deadline-missed-family": Words(
        subject="We have missed a deadline in the EHC needs assessment (reference {reference})",
        body=(
            "We are sorry: {deadline} was due by {due_on}, and we have missed that deadline "
            "(reference {reference}).\n\n"
            "We are working to complete it as soon as we can.\n\n"
            "If you are unhappy about the delay, you can complain to us, and then to the "
            "Local Government and Social Care Ombudsman.\n\n"
            "Follow progress: {link}"
        ),
        sms=(
            "We are sorry: we have missed a deadline in the EHC needs assessment (ref "
            "{reference}): {deadline}, due by {due_on}. Details: {link}"
        ),
    ),
    # Only where the council chooses it (``optional_messages``).
    "deadline-at-risk-family": Words(
        subject="A date in the EHC needs assessment may be missed (reference {reference})",
        body=(
            "We want to let you know early: {deadline} is due by {due_on}, and we may not "
            "meet that date (reference {reference}).\n\n"
            "We are working to get it done in time. If we do miss it, we will tell you, and "
            "what we are doing about it.\n\n"
            "If you have any questions, contact us. Follow progress: {link}"
        ),
        sms=(
            "A date in the EHC needs assessment may be missed (ref {reference}): {deadline}, "
            "due by {due_on}. We are working on it. Details: {link}"
        ),
    ),
    # To the council's SEND team mailbox.
    "deadline-at-risk": Words(
        subject="Deadline at risk, referral {reference}: due {due_on}",
        body=(
            "A statutory deadline for referral {reference} is close and its step has not been "
            "recorded: {deadline}, due {due_on} (without exceptions: {statutory_due_on}). "
            "Days left: {days_left}.\n\n"
            "Open the referral: {link}"
        ),
        sms="Deadline at risk, referral {reference}: due {due_on}. Open: {link}",
    ),
    "deadline-missed": Words(
        subject="Deadline missed, referral {reference}: was due {due_on}",
        body=(
            "A statutory deadline for referral {reference} has passed without its step being "
            "recorded: {deadline}, due {due_on} (without exceptions: {statutory_due_on}).\n\n"
            "The family is being told too. Record the step, or an exception if one applies, "
            "as soon as you can.\n\n"
            "Open the referral: {link}"
        ),
        sms="Deadline missed, referral {reference}: was due {due_on}. Open: {link}",
    ),
}

EHC_PHRASES = Phrases(
    codes={
        "reason": {
            "no_evidence_of_special_educational_needs": "the information we have does not "
            "suggest special educational needs that may need an EHC plan",
            "needs_met_from_available_provision": "we think the support the school or setting "
            "can provide, with our help, can meet the needs described in the request",
            "needs_met_by_sen_support": "the assessment shows that the support the school or "
            "setting can provide (SEN support) can meet the needs it found",
            "not_the_councils_responsibility": "another council is responsible",
            "": "the reasons are in our decision letter",
        },
        "advice": {
            "parent": "your views",
            "educational": "advice from the school or setting",
            "medical": "medical advice",
            "educational_psychology": "advice from an educational psychologist",
            "social_care": "social care advice",
            # Which specialist teacher would name an impairment: an email may be read by others.
            "teacher_of_the_deaf": "advice from a specialist teacher",
            "teacher_of_vision_impaired": "advice from a specialist teacher",
            "": "advice from another professional",
        },
        "advice_asked": {
            "educational": "educational advice",
            "medical": "medical advice",
            "educational_psychology": "psychological advice",
            "social_care": "social care advice",
            "teacher_of_the_deaf": "educational advice from a qualified teacher of the deaf",
            "teacher_of_vision_impaired": "educational advice from a qualified teacher of the "
            "visually impaired",
            "": "advice",
        },
        "exception": {
            "school_closure": "the school or setting being closed for 4 weeks or more",
            "personal_circumstances": "exceptional personal circumstances",
            "family_away": "time away from the area of 4 weeks or more",
            "": "circumstances the law allows for",
        },
        "deadline": {
            "decision": "our decision whether to carry out an EHC needs assessment",
            "issue_decision": "our decision whether to issue an EHC plan",
            "draft_plan": "the draft EHC plan",
            "final_plan": "the final EHC plan",
            "advice": "advice from a professional",
            "": "a step of the EHC needs assessment",
        },
    }
)
