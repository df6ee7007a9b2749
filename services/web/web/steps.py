"""Every caseworker action on a referral as a form: escalate, each statutory step, an
exception, close, withdraw the family's link.

Each form is posted to its own address; the step is sent to the referrals service with an
``Idempotency-Key`` made when the form was shown, so a form sent twice (a double click, the
back button, sent again after signing in) records the step once.

(Longer than most modules: mostly the table of steps, one entry a form, read as a list.)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import forms, pages, words
from web.backends import Backends, Conflict, Invalid, NotFound
from web.forms import Question
from web.signin import User, checked_form, saved_answers, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]

TODAY_HINT = "For example, 27 3 2026. Today or before."
REVIEW_INVITEES = {
    "family": "The family (the parent, or the young person)",
    "school": "The school or college",
    "health": "Health",
    "social_care": "Social care",
}
REASSESSMENT_REQUESTERS = {
    "parent": "A parent",
    "young_person": "The young person",
    "school": "A school or college",
    "council": "The council itself",
}
YES_NO = {"yes": "Yes", "no": "No"}
REASSESSMENT_OUTCOMES = {
    "plan_amended": "The amended plan was issued",
    "plan_not_amended": "We decided not to amend the plan",
}


def _reassess(body: dict[str, Any]) -> dict[str, Any]:
    """The form's yes or no as the API's true or false."""
    return {**body, "reassess": body.get("reassess") == "yes"}


REVIEW_DECISIONS = {
    "keep": "Keep the plan as it is (not amend it)",
    "amend": "Amend the plan",
    "cease": "Consider ceasing the plan",
}


SETTING_TYPES = {
    "mainstream_school": "Mainstream school",
    "special_school": "Special school",
    "resourced_provision": "Resourced provision or unit",
    "independent_school": "Independent school",
    "school_sixth_form": "School sixth form",
    "sixth_form_college": "Sixth form college",
    "further_education_college": "Further education college",
    "specialist_post_16_institution": "Specialist post-16 institution",
    "alternative_provision": "Alternative provision",
}
TRANSFER_KINDS = {
    "early_years_to_primary": "Early years to primary or infant school",
    "infant_to_junior": "Infant to junior school",
    "primary_to_secondary": "Primary to secondary (or middle) school",
    "secondary_to_post_16": "Secondary school to post-16",
}


def _amended_plan(body: dict[str, Any]) -> dict[str, Any]:
    """The amended plan's body: the next setting's URN (6 digits) or UKPRN, and its type."""
    shaped = {"issued_on": body["issued_on"]}
    given, kind = body.get("next_setting", "").replace(" ", ""), body.get("next_setting_type")
    setting: dict[str, str] = {}
    if given:
        setting["ukprn" if len(given) == 8 else "urn"] = given
    if kind:
        setting["setting_type"] = kind
    if setting:
        shaped["next_setting"] = setting
    return shaped


@dataclass(frozen=True)
class StepForm:
    """One action: its page's heading, its questions, where it is sent, and what the
    caseworker is told once it is recorded."""

    slug: str
    heading: str
    api: str
    """The path under ``/v1/referrals/{id}`` the step is posted to."""
    questions: tuple[Question, ...]
    done: str
    button: str = "Record it"
    intro: str | None = None
    warning: str | None = None
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """The API's body from the form's (flat) answers, where the API nests some of them."""
    context_api: str | None = None
    """A path under ``/v1/referrals/{id}`` whose answer the page shows above the questions
    (``context_template``): what the caseworker reads to decide (the referrer's reasons)."""
    context_template: str | None = None


STEPS: dict[str, StepForm] = {
    s.slug: s
    for s in (
        StepForm(
            "escalate",
            "Escalate to an EHC needs assessment request",
            "/escalate",
            (
                Question(
                    "requested_on",
                    "Date the council received the request",
                    "date",
                    hint="The statutory clock starts on this day. " + TODAY_HINT,
                ),
                Question(
                    "requested_by",
                    "Who asked for the assessment",
                    "radios",
                    options=words.REQUESTERS,
                ),
            ),
            "The request was recorded and the statutory clock started",
            intro="Only a parent, the young person, or a school or college can request an "
            "assessment; support carries on while it runs.",
        ),
        StepForm(
            "need",
            "Set the child's special educational needs",
            "/need",
            (
                Question("primary_need", "The child's main need", "radios", options=words.NEEDS),
                Question(
                    "secondary_needs",
                    "Any other needs",
                    "checkboxes",
                    options=words.NEEDS,
                    required=False,
                    hint="Select all that apply, not the main need again.",
                ),
            ),
            "The child's needs were recorded: a support plan is being drafted and a specialist "
            "looked for",
            button="Set the needs",
            intro="An NHS partner referred this child without a SEN2 need: deciding it is the "
            "council's job. Once you set it, the plan is drafted and a specialist matched.",
            context_api="/triage",
            context_template="caseworker/referrer_reasons.html",
        ),
        StepForm(
            "assessment-suggestion",
            "Decide whether to treat it as an EHC needs assessment request",
            "/assessment-suggestion",
            (
                Question(
                    "decision",
                    "Your decision",
                    "radios",
                    options={
                        "treat_as_request": "Treat it as a request: the statutory clock starts "
                        "on the day we received the referral",
                        "keep_as_support": "Keep it as a request for support",
                    },
                ),
            ),
            "The decision was recorded",
            intro="A health or social care professional asked for an EHC needs assessment. "
            "Only a parent, the young person, or a school or college can request one (section "
            "36(1) of the Children and Families Act 2014); a professional's referral brings the "
            "child to the council's attention (section 24), and the council decides.",
        ),
        StepForm(
            "assessment-decision",
            "Record the decision whether to assess",
            "/assessment-decision",
            (
                Question(
                    "decision",
                    "The decision",
                    "radios",
                    options={"assess": "Assess", "refuse": "Refuse to assess"},
                ),
                Question("decided_on", "Date of the decision", "date", hint=TODAY_HINT),
                Question(
                    "reason",
                    "Why the council refuses",
                    "radios",
                    options=words.REFUSAL_REASONS,
                    when=("decision", "refuse"),
                ),
                Question(
                    "note",
                    "Your explanation for the family's letter",
                    "textarea",
                    required=False,
                    hint="In plain words; it stays in the council's record.",
                ),
            ),
            "The decision whether to assess was recorded",
        ),
        StepForm(
            "advice-requests",
            "Ask for advice",
            "/advice-requests",
            (
                Question(
                    "kinds",
                    "Whose advice you asked for",
                    "checkboxes",
                    options=words.ADVICE,
                    hint="Select all that apply.",
                ),
                Question("requested_on", "Date you asked", "date", hint=TODAY_HINT),
            ),
            "The advice requests were recorded; each is due 6 weeks after asking",
        ),
        StepForm(
            "existing-advice",
            "Use existing advice",
            "/existing-advice",
            (
                Question("kind", "Whose advice it is", "radios", options=words.EXISTING_ADVICE),
                Question(
                    "description",
                    "What the advice is",
                    "textarea",
                    hint="For example, the title of the report. It stays in the council's record.",
                ),
                Question("advice_dated", "Date the advice was given", "date"),
                Question("given_by", "Who gave it", "text", hint="Their name and role."),
                Question(
                    "giver_agreed",
                    "The person who gave it",
                    "checkboxes",
                    options={"agreed": "They agree to its use for this assessment"},
                ),
                Question(
                    "family_agreed_by",
                    "Who agreed for the family",
                    "radios",
                    options=words.FAMILY_AGREED_BY,
                ),
                Question(
                    "agreed_on",
                    "Date the last of them agreed",
                    "date",
                    hint="You agree for the council by recording it. " + TODAY_HINT,
                ),
            ),
            "The existing advice was recorded: it counts as sought",
            intro="Advice given before may be used instead of asking for it again when the "
            "person who gave it, the council and the family agree (regulation 6(4) of the SEND "
            "Regulations 2014). The family's own advice is always asked for.",
            shape=lambda body: {**body, "giver_agreed": body.get("giver_agreed") == ["agreed"]},
        ),
        StepForm(
            "family-advice-asks",
            "Record advice the family asked for",
            "/family-advice-asks",
            (
                Question("asked_on", "Date the family asked", "date", hint=TODAY_HINT),
                Question(
                    "advice",
                    "What advice they asked for",
                    "textarea",
                    hint="In their words, or a short description. It stays in the council's "
                    "record.",
                ),
                Question(
                    "asked_of",
                    "Who they asked us to seek it from",
                    "text",
                    hint="A person's name and role, or a service.",
                ),
                Question(
                    "decision",
                    "The council's decision",
                    "radios",
                    options=words.FAMILY_ADVICE_DECISIONS,
                ),
                Question(
                    "reason",
                    "Why the request is not reasonable",
                    "textarea",
                    when=("decision", "refuse"),
                    hint="It stays in the council's record.",
                ),
            ),
            "The family's request for advice was recorded",
            intro="The council must seek advice from any person the parent or young person "
            "reasonably asks it to seek advice from (regulation 6(1)(h) of the SEND "
            "Regulations 2014), before deciding whether to issue an EHC plan. Once you record "
            'that you will seek it, ask for it as "Advice the family asked for" (or use '
            "existing advice).",
        ),
        StepForm(
            "plan-decision",
            "Record the decision whether to issue a plan",
            "/plan-decision",
            (
                Question(
                    "decision",
                    "The decision",
                    "radios",
                    options={"issue": "Issue an EHC plan", "not_issue": "Do not issue a plan"},
                ),
                Question("decided_on", "Date of the decision", "date", hint=TODAY_HINT),
                Question(
                    "reason",
                    "Why the council does not issue a plan",
                    "radios",
                    options=words.NOT_ISSUE_REASONS,
                    when=("decision", "not_issue"),
                ),
                Question(
                    "note", "Your explanation for the family's letter", "textarea", required=False
                ),
            ),
            "The decision whether to issue a plan was recorded",
        ),
        StepForm(
            "draft-plan",
            "Record the draft plan issued",
            "/draft-plan",
            (
                Question("issued_on", "Date the draft plan was sent", "date", hint=TODAY_HINT),
                Question(
                    "comments_due",
                    "Date the family's comments are due",
                    "date",
                    required=False,
                    hint="Leave it empty for 15 days after the draft: never fewer.",
                ),
            ),
            "The draft plan was recorded; the family has at least 15 days to comment",
        ),
        StepForm(
            "final-plan",
            "Record the final plan issued",
            "/final-plan",
            (
                Question("issued_on", "Date the final plan was issued", "date", hint=TODAY_HINT),
                Question(
                    "named_school_urn",
                    "The URN of the school or college the plan names (section I)",
                    "text",
                    required=False,
                    hint="Its 6-digit unique reference number: it is sent the plan. Leave it "
                    "empty for the child's school.",
                ),
            ),
            "The final plan was recorded",
        ),
        StepForm(
            "school-consultation",
            "Consult a school about naming it in the plan",
            "/school-consultations",
            (
                Question(
                    "school_urn",
                    "The school's URN",
                    "text",
                    hint="Its 6-digit unique reference number, for example 107958.",
                ),
                Question(
                    "sent_on",
                    "Date the consultation was sent",
                    "date",
                    required=False,
                    hint="Leave it empty for today. " + TODAY_HINT,
                ),
            ),
            "The school was consulted: it has 15 days to answer",
            button="Consult the school",
            intro="The school's SENCo sees the consultation in the workspace and answers, for "
            "its governing body, whether the school can meet the child's needs (section 39 of "
            "the Children and Families Act 2014: 15 days).",
        ),
        StepForm(
            "exceptions",
            "Record an exception to the time limits",
            "/exceptions",
            (
                Question("kind", "What happened", "radios", options=words.EXCEPTIONS),
                Question("starts_on", "Date it started", "date"),
                Question("ends_on", "Date it ended (or will end)", "date"),
                Question("reason", "What happened, for the file", "textarea"),
            ),
            "The exception was recorded",
            intro="An exception excuses a time limit where meeting it is impractical. It does "
            "not change the legal dates.",
        ),
        StepForm(
            "mediation",
            "Record mediation",
            "/mediation",
            (
                Question(
                    "mediation_asked_on",
                    "Date the family contacted the mediation adviser",
                    "date",
                    required=False,
                    hint="Leave it empty if they have not yet. " + TODAY_HINT,
                ),
                Question(
                    "mediation_certificate_on",
                    "Date the mediation certificate was issued",
                    "date",
                    required=False,
                    hint="Leave it empty until it is. " + TODAY_HINT,
                ),
            ),
            "Mediation was recorded; the appeal date takes account of it",
            intro="The family may appeal to the SEND Tribunal within 2 months of the decision, "
            "or within 1 month of the mediation certificate, whichever is later.",
        ),
        StepForm(
            "close",
            "Close the referral",
            "/close",
            (Question("reason", "Why it is closing", "radios", options=words.CLOSE_REASONS),),
            "The referral was closed; its specialists' places are free again",
            button="Close the referral",
        ),
        StepForm(
            "representative",
            "Record who acts for the young person",
            "/representative",
            (
                Question("relationship", "Who they are", "radios", options=words.REPRESENTATIVES),
                Question(
                    "reason",
                    "Why the young person cannot make these decisions",
                    "textarea",
                    hint="The assessment of their mental capacity. It stays in the council's "
                    "record and is never in a message.",
                ),
                Question("name", "The representative's name", "text"),
                Question(
                    "preferred_channel",
                    "How they want to hear from us",
                    "radios",
                    options={"email": "Email", "sms": "Text message"},
                ),
                Question(
                    "email", "Their email address", "text", when=("preferred_channel", "email")
                ),
                Question("phone", "Their mobile number", "text", when=("preferred_channel", "sms")),
            ),
            "The representative was recorded: messages and links go to them from now on",
            intro="Where a young person lacks the mental capacity to make a decision, their "
            "representative makes it for them (Children and Families Act 2014, section 80).",
            shape=lambda body: {
                "relationship": body.get("relationship"),
                "reason": body.get("reason"),
                "contact": {
                    k: body[k] for k in ("name", "preferred_channel", "email", "phone") if k in body
                },
            },
        ),
        # A plan's annual review (Regs 18-22), step by step in the law's order.
        StepForm(
            "review-meeting",
            "Arrange the annual review meeting",
            "/annual-review/meeting",
            (
                Question(
                    "meeting_on",
                    "Date of the meeting",
                    "date",
                    hint="Leave at least 2 weeks after the invitations go out. For example, "
                    "27 3 2027.",
                ),
            ),
            "The meeting was arranged: send the invitations at least 2 weeks before it",
            intro="The plan must be reviewed within 12 months of its issue or its last review.",
        ),
        StepForm(
            "review-invitations",
            "Record the review's invitations sent",
            "/annual-review/invitations",
            (
                Question("sent_on", "Date the invitations were sent", "date", hint=TODAY_HINT),
                Question(
                    "invitees",
                    "Who was invited and asked for advice and information",
                    "checkboxes",
                    options=REVIEW_INVITEES,
                    hint="The law asks for all four.",
                ),
            ),
            "The invitations were recorded; the family is told of the meeting",
        ),
        StepForm(
            "review-meeting-held",
            "Record the review meeting held",
            "/annual-review/meeting-held",
            (Question("held_on", "Date the meeting was held", "date", hint=TODAY_HINT),),
            "The meeting was recorded: its report is due within 2 weeks, the decision within 4",
        ),
        StepForm(
            "review-report",
            "Record the review's report sent",
            "/annual-review/report",
            (Question("sent_on", "Date the report was sent", "date", hint=TODAY_HINT),),
            "The report was recorded; the family is told",
            intro="The report goes to everyone who was invited, within 2 weeks of the meeting.",
        ),
        StepForm(
            "review-decision",
            "Record the decision after the review",
            "/annual-review/decision",
            (
                Question("decision", "The decision", "radios", options=REVIEW_DECISIONS),
                Question("decided_on", "Date of the decision", "date", hint=TODAY_HINT),
            ),
            "The decision was recorded; the family is told",
            intro="Within 4 weeks of the meeting. To cease a plan, the council first informs "
            "and consults the family and the school.",
        ),
        StepForm(
            "amendment-proposals",
            "Record the proposed amendments sent",
            "/annual-review/amendments/proposals",
            (
                Question("sent_on", "Date the proposals were sent", "date", hint=TODAY_HINT),
                Question(
                    "comments_until",
                    "Date the family's comments are due",
                    "date",
                    required=False,
                    hint="Leave it empty for 15 days after the proposals: never fewer.",
                ),
            ),
            "The proposals were recorded; the family has at least 15 days to comment",
            intro="The amended plan is due within 8 weeks of the proposals, and no later than "
            "12 weeks after the review meeting.",
        ),
        StepForm(
            "amended-plan",
            "Record the amended plan issued",
            "/annual-review/amendments/final",
            (
                Question("issued_on", "Date the amended plan was issued", "date", hint=TODAY_HINT),
                Question(
                    "next_setting",
                    "URN or UKPRN of the next school or college",
                    "text",
                    required=False,
                    hint="Needed when the child moves to the next phase of education by next "
                    "September: a school's 6-digit URN or a college's 8-digit UKPRN.",
                ),
                Question(
                    "next_setting_type",
                    "Type of the next setting",
                    "radios",
                    options=SETTING_TYPES,
                    required=False,
                    hint="Where the plan names a type of setting, or the same school continues "
                    "into the next phase.",
                ),
            ),
            "The amended plan was recorded; the family is told, with the right to appeal",
            shape=_amended_plan,
        ),
        # A phase transfer (Reg 18): where the date of birth does not tell it.
        StepForm(
            "phase-transfer",
            "Set the child's phase transfer",
            "/phase-transfer",
            (
                Question("kind", "The move", "radios", options=TRANSFER_KINDS),
                Question(
                    "year",
                    "Year of the move",
                    "text",
                    hint="The child moves in September of this year. For example, 2027.",
                ),
            ),
            "The phase transfer was recorded: its deadline follows it",
            intro="Worked out from the date of birth unless set here: set it for an infant "
            "school (infant to junior) or a child taught out of their year group.",
        ),
        # A plan transferred in (Reg 15) and a re-assessment (Regs 24-27).
        StepForm(
            "transfer-decision",
            "Record what the family was told after the transfer",
            "/transfer-in/decision",
            (
                Question(
                    "reassess",
                    "Whether the council will carry out a new EHC needs assessment",
                    "radios",
                    options=YES_NO,
                ),
                Question("told_on", "Date the family was told", "date", hint=TODAY_HINT),
            ),
            "The family's message was recorded; the family is told",
            intro="Within 6 weeks of the transfer, tell the family that the plan was "
            "transferred and whether the council will carry out a new EHC needs assessment.",
            shape=_reassess,
        ),
        StepForm(
            "reassessment-request",
            "Record a request for a re-assessment",
            "/reassessment/request",
            (
                Question(
                    "requested_by",
                    "Who asked for the re-assessment",
                    "radios",
                    options=REASSESSMENT_REQUESTERS,
                ),
                Question(
                    "requested_on",
                    "Date the council received the request",
                    "date",
                    hint=TODAY_HINT,
                ),
            ),
            "The request was recorded: decide within 15 days",
            intro="The council decides within 15 days of the request whether to re-assess.",
        ),
        StepForm(
            "reassessment-decision",
            "Record the decision whether to re-assess",
            "/reassessment/decision",
            (
                Question(
                    "reassess", "Whether the council will re-assess", "radios", options=YES_NO
                ),
                Question("decided_on", "Date the family was told", "date", hint=TODAY_HINT),
                Question(
                    "note",
                    "The reasons",
                    "textarea",
                    required=False,
                    hint="Needed for a refusal, in your own words: the family's letter gives them.",
                ),
            ),
            "The decision was recorded; the family is told",
            intro="A refusal can be appealed. A re-assessment ends in the amended plan, or a "
            "decision not to amend it, within 14 weeks of telling the family. The family "
            "gets a letter.",
            shape=_reassess,
        ),
        StepForm(
            "reassessment-advice-requests",
            "Ask for advice for the re-assessment",
            "/reassessment/advice-requests",
            (
                Question(
                    "kinds",
                    "Whose advice you asked for",
                    "checkboxes",
                    options=words.ADVICE,
                    hint="Select all that apply.",
                ),
                Question("requested_on", "Date you asked", "date", hint=TODAY_HINT),
            ),
            "The advice requests were recorded; each is due 6 weeks after asking",
            intro="Advice is sought as for an EHC needs assessment (regulations 6 and 25 of the "
            "SEND Regulations 2014): the outcome can be recorded once the advice the law "
            "requires has been asked for.",
        ),
        StepForm(
            "reassessment-advice-received",
            "Record advice received for the re-assessment",
            "/reassessment/advice-received",
            (
                Question("kind", "Whose advice it is", "radios", options=words.ADVICE),
                Question("received_on", "Date the advice was received", "date", hint=TODAY_HINT),
            ),
            "The advice was recorded as received",
        ),
        StepForm(
            "reassessment-outcome",
            "Record the re-assessment's outcome",
            "/reassessment/outcome",
            (
                Question("outcome", "The outcome", "radios", options=REASSESSMENT_OUTCOMES),
                Question("concluded_on", "Date of the outcome", "date", hint=TODAY_HINT),
                Question(
                    "note",
                    "The reasons",
                    "textarea",
                    required=False,
                    hint="Needed for a decision not to amend the plan, in your own words: the "
                    "family's letter gives them.",
                ),
            ),
            "The outcome was recorded; the family is told, with the right to appeal",
        ),
        # Ceasing the plan (s45, Regs 29-31), step by step in the law's order.
        StepForm(
            "ceasing-proposal",
            "Propose to cease the plan",
            "/ceasing/proposal",
            (
                Question(
                    "reason",
                    "Why the council is considering it",
                    "radios",
                    options=words.CEASE_REASONS,
                    hint="Under 18, only when the plan is no longer necessary (regulation 29).",
                ),
                Question("proposed_on", "Date the family was told", "date", hint=TODAY_HINT),
                Question(
                    "views_by",
                    "Date the family and the school are asked to reply by",
                    "date",
                    hint="After the date the family was told.",
                ),
            ),
            "The proposal was recorded; the family is told and asked for their views",
            intro="Before deciding, the council informs the family and consults them and the "
            "school or other institution named in the plan (regulation 31(1)).",
        ),
        StepForm(
            "ceasing-consultation",
            "Record the views about ceasing the plan",
            "/ceasing/consultation",
            (
                Question(
                    "consulted_on", "Date the consultation was recorded", "date", hint=TODAY_HINT
                ),
                Question(
                    "family_views",
                    "The family's views",
                    "textarea",
                    required=False,
                    hint="Leave it empty if none came by the date they were asked to "
                    "reply by: you can record that once the date has passed.",
                ),
                Question(
                    "school_views",
                    "The school's views",
                    "textarea",
                    required=False,
                    hint="Leave it empty if none came by the date they were asked to reply by.",
                ),
            ),
            "The views were recorded: the decision can now be made",
        ),
        StepForm(
            "ceasing-decision",
            "Record the decision whether to cease the plan",
            "/ceasing/decision",
            (
                Question(
                    "decision",
                    "The decision",
                    "radios",
                    options={"cease": "Cease the plan", "keep": "Do not cease the plan (keep it)"},
                ),
                Question("decided_on", "Date of the decision", "date", hint=TODAY_HINT),
                Question(
                    "note",
                    "The reasons",
                    "textarea",
                    hint="In your own words: the family's letter gives them.",
                ),
            ),
            "The decision was recorded; the family is told",
            intro="A decision to cease goes to the family with their letter and the right to "
            "appeal, and to the school and the health commissioning body. The plan is kept "
            "until the time to appeal has passed or any appeal is decided.",
        ),
        StepForm(
            "ceasing-mediation",
            "Record the mediation certificate",
            "/ceasing/mediation",
            (
                Question(
                    "mediation_certificate_on",
                    "Date of the mediation certificate",
                    "date",
                    hint=TODAY_HINT,
                ),
            ),
            "The certificate was recorded: the date to appeal by follows it",
            intro="The family may appeal within 2 months of the decision, or 1 month of the "
            "mediation certificate if that is later.",
        ),
        StepForm(
            "ceasing-appeal",
            "Record an appeal against ceasing the plan",
            "/ceasing/appeal",
            (Question("lodged_on", "Date the appeal was lodged", "date", hint=TODAY_HINT),),
            "The appeal was recorded: the plan is kept until the Tribunal decides",
        ),
        StepForm(
            "ceasing-appeal-outcome",
            "Record the Tribunal's decision on the appeal",
            "/ceasing/appeal-outcome",
            (
                Question(
                    "outcome",
                    "The Tribunal's decision",
                    "radios",
                    options={
                        "upheld": "Upheld: the plan continues",
                        "dismissed": "Dismissed: the plan ceases",
                    },
                ),
                Question("decided_on", "Date of the Tribunal's decision", "date", hint=TODAY_HINT),
            ),
            "The Tribunal's decision was recorded",
        ),
    )
}

ADVICE_EXCUSED = StepForm(
    "excused",
    "Record why the adviser's 6 weeks do not apply",
    "",
    (
        Question("because", "Why", "radios", options=words.ADVICE_EXCUSES),
        Question("reason", "What happened, for the file", "textarea"),
    ),
    "The adviser's 6 weeks were recorded as not applying",
    intro="An adviser need not give their advice within 6 weeks where that is impractical for "
    "one of these reasons (regulation 8(2) of the SEND Regulations 2014). It sets no new date.",
)

ADVICE_RECEIVED = StepForm(
    "received",
    "Record advice received",
    "",
    (Question("received_on", "Date the advice was received", "date", hint=TODAY_HINT),),
    "The advice was recorded as received",
)


def _page(
    request: Request,
    referral_id: UUID,
    step: StepForm,
    answers: forms.Answers,
    key: str,
    *,
    action: str,
    heading: str,
    status_code: int = 200,
    context: Any = None,
) -> Response:
    return pages.render(
        request,
        "caseworker/step.html",
        status_code=status_code,
        step=step,
        heading=heading,
        action=action,
        referral_id=referral_id,
        reference=str(referral_id)[:8].upper(),
        answers=answers,
        errors=answers.summary(step.questions),
        idempotency_key=key,
        context=context,
    )


async def _context(request: Request, referral_id: UUID, step: StepForm, user: User) -> Any:
    """What the page shows above the questions (``StepForm.context_api``), or None."""
    if step.context_api is None:
        return None
    return await state_of(request).backends.get(
        "referrals", f"/v1/referrals/{referral_id}{step.context_api}", token=user.access_token
    )


async def _show(
    request: Request, referral_id: UUID, step: StepForm, action: str, heading: str, user: User
) -> Response:
    # The referral must be the person's to see before its form is: another council's is
    # "Page not found" here too.
    await state_of(request).backends.get(
        "referrals", f"/v1/referrals/{referral_id}", token=user.access_token
    )
    saved = saved_answers(request)
    answers = forms.shown_again(step.questions, saved) if saved else forms.Answers({})
    answers.errors.clear()  # kept answers are shown as they were, not judged yet
    kept = (saved or {}).get("idempotency_key")
    key = kept if isinstance(kept, str) else str(uuid.uuid4())
    context = await _context(request, referral_id, step, user)
    return _page(
        request, referral_id, step, answers, key, action=action, heading=heading, context=context
    )


async def _send(
    request: Request,
    referral_id: UUID,
    step: StepForm,
    path: str,
    action: str,
    heading: str,
    user: User,
) -> Response:
    form = await checked_form(request)
    body, answers = forms.read(step.questions, form)
    key = str(form.get("idempotency_key") or uuid.uuid4())
    if answers.errors:
        return _page(
            request,
            referral_id,
            step,
            answers,
            key,
            action=action,
            heading=heading,
            status_code=422,
            context=await _context(request, referral_id, step, user),
        )
    backends: Backends = state_of(request).backends
    try:
        await backends.call(
            "referrals",
            "POST",
            path,
            token=user.access_token,
            json=step.shape(body) if step.shape else body,
            headers={"Idempotency-Key": key},
            accept=(200, 201),
        )
    except Invalid as exc:
        forms.from_api(answers, step.questions, exc.errors)
        return _page(
            request,
            referral_id,
            step,
            answers,
            key,
            action=action,
            heading=heading,
            status_code=422,
            context=await _context(request, referral_id, step, user),
        )
    except Conflict as exc:
        answers.general.append(forms.plain(exc.detail))
        return _page(
            request,
            referral_id,
            step,
            answers,
            str(uuid.uuid4()),
            action=action,
            heading=heading,
            status_code=409,
            context=await _context(request, referral_id, step, user),
        )
    request.scope["web.session"].data["banner"] = step.done
    return RedirectResponse(f"/referrals/{referral_id}", status_code=303)


@router.get("/referrals/{referral_id}/steps/{slug}")
async def step_form(request: Request, referral_id: UUID, slug: str, user: Caseworker) -> Response:
    step = _step(slug)
    return await _show(request, referral_id, step, request.url.path, step.heading, user)


@router.post("/referrals/{referral_id}/steps/{slug}")
async def record_step(request: Request, referral_id: UUID, slug: str, user: Caseworker) -> Response:
    step = _step(slug)
    return await _send(
        request,
        referral_id,
        step,
        f"/v1/referrals/{referral_id}{step.api}",
        request.url.path,
        step.heading,
        user,
    )


@router.get("/referrals/{referral_id}/advice/{kind}/received")
async def advice_form(request: Request, referral_id: UUID, kind: str, user: Caseworker) -> Response:
    heading = f"Record advice received: {words.say(words.ADVICE, _kind(kind))}"
    return await _show(request, referral_id, ADVICE_RECEIVED, request.url.path, heading, user)


@router.post("/referrals/{referral_id}/advice/{kind}/received")
async def record_advice(
    request: Request, referral_id: UUID, kind: str, user: Caseworker
) -> Response:
    heading = f"Record advice received: {words.say(words.ADVICE, _kind(kind))}"
    api = f"/v1/referrals/{referral_id}/advice-requests/{kind}/received"
    return await _send(request, referral_id, ADVICE_RECEIVED, api, request.url.path, heading, user)


@router.get("/referrals/{referral_id}/advice/{kind}/excused")
async def excused_form(
    request: Request, referral_id: UUID, kind: str, user: Caseworker
) -> Response:
    heading = f"Excuse the adviser's 6 weeks: {words.say(words.ADVICE, _kind(kind))}"
    return await _show(request, referral_id, ADVICE_EXCUSED, request.url.path, heading, user)


@router.post("/referrals/{referral_id}/advice/{kind}/excused")
async def record_excused(
    request: Request, referral_id: UUID, kind: str, user: Caseworker
) -> Response:
    heading = f"Excuse the adviser's 6 weeks: {words.say(words.ADVICE, _kind(kind))}"
    api = f"/v1/referrals/{referral_id}/advice-requests/{kind}/excused"
    return await _send(request, referral_id, ADVICE_EXCUSED, api, request.url.path, heading, user)


@router.get("/referrals/{referral_id}/family-link/revoke")
async def revoke_form(request: Request, referral_id: UUID, user: Caseworker) -> Response:
    await state_of(request).backends.get(
        "referrals", f"/v1/referrals/{referral_id}", token=user.access_token
    )
    return pages.render(
        request,
        "caseworker/revoke.html",
        referral_id=referral_id,
        reference=str(referral_id)[:8].upper(),
    )


@router.post("/referrals/{referral_id}/family-link/revoke")
async def revoke(request: Request, referral_id: UUID, user: Caseworker) -> Response:
    await checked_form(request)
    await state_of(request).backends.call(
        "referrals",
        "POST",
        f"/v1/referrals/{referral_id}/family-link/revoke",
        token=user.access_token,
        accept=(200, 201, 204),
    )
    request.scope["web.session"].data["banner"] = (
        "The family's links were withdrawn. Their next message will carry a new one."
    )
    return RedirectResponse(f"/referrals/{referral_id}", status_code=303)


def _step(slug: str) -> StepForm:
    if slug not in STEPS:
        raise NotFound(slug)
    return STEPS[slug]


def _kind(kind: str) -> str:
    if kind not in words.ADVICE:
        raise NotFound(kind)
    return kind
