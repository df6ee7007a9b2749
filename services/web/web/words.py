"""The services' codes in a caseworker's words (the APIs speak in codes; pages never show
one alone). A code missing here is shown as it is, so a new one is never hidden.

(Longer than most modules: a table of words, one entry a code, kept together so a reader
checks every page's words in one place.)"""

from __future__ import annotations

from shared.specialisms import SPECIALISM_TITLES

STAGES = {
    "assessment_requested": "Assessment requested",
    "assessing": "Assessing",
    "assessment_refused": "Assessment refused",
    "plan_to_be_issued": "Plan to be issued",
    "plan_not_issued": "Plan not issued",
    "draft_plan_issued": "Draft plan issued",
    "final_plan_issued": "Final plan issued",
}

STATUSES = {
    "referral_received": "Received",
    "plan_drafted": "Plan drafted",
    "waitlisted": "Waiting for a specialist",
    "specialist_assigned": "Specialist assigned",
    "message_sent": "Family messaged",
    "family_notified": "Family told",
}

TRACKS = {"support": "Support", "ehc": "EHC needs assessment"}

STEPS = {
    **STATUSES,
    "team_alerted": "SEND team alerted",
    "allocation_ended": "A specialist's support ended",
    "allocation_accepted": "A specialist took the child on",
    "first_session_arranged": "First session arranged",
    "school_consulted": "School consulted about naming it in the plan",
    "school_consultation_answered": "School answered the consultation",
    "ehc_assessment_requested": "EHC needs assessment requested",
    "assessment_decided": "Decision whether to assess",
    "advice_requested": "Advice requested",
    "advice_received": "Advice received",
    "advice_excused": "Adviser's 6 weeks excused (regulation 8(2))",
    "existing_advice_agreed": "Existing advice agreed (regulation 6(4))",
    "family_advice_asked": "The family asked for advice (regulation 6(1)(h))",
    "plan_issue_decided": "Decision whether to issue a plan",
    "draft_plan_issued": "Draft plan issued",
    "final_plan_issued": "Final plan issued",
    "exception_recorded": "Exception recorded",
    "mediation_recorded": "Mediation recorded",
    "others_notified": "School, health or social care told",
    "deadline_at_risk": "Deadline at risk",
    "deadline_missed": "Deadline missed",
    "plan_shared": "Plan shared with the family",
    "plan_comments_received": "Family's comments received",
    "plan_agreed": "Family agreed the plan",
    "plan_revised": "Plan revised",
    "plan_review_due": "Plan review due",
    "ceasing_proposed": "Ceasing the plan proposed (family told, views asked for)",
    "ceasing_consulted": "Views about ceasing the plan recorded",
    "ceasing_decided": "Decision whether to cease the plan",
    "ceasing_appeal_lodged": "Appeal against ceasing the plan",
    "ceasing_appeal_decided": "Tribunal's decision on the appeal",
    "plan_ceased": "Plan ceased",
}
CEASE_REASONS = {
    "no_longer_necessary": "The plan is no longer necessary: the special educational "
    "provision is no longer needed (section 45(1)(b))",
    "no_longer_responsible": "The council is no longer responsible for the child or young "
    "person (section 45(1)(a))",
    "higher_education": "The young person has started higher education (section 45(1)(a))",
    "left_education": "A young person of 18 or over left education and, the review found, does "
    "not wish to return (regulation 30)",
}
"""The grounds to cease a plan (Children and Families Act 2014 s45, SEND Regulations 2014
Regs 29-30), as the caseworker chooses one."""
CEASING_STAGES = {
    "proposed": "Proposed: waiting for the family's and the school's views",
    "consulted": "Views recorded: to decide",
    "kept": "Decided not to cease: the plan continues",
    "to_cease": "Decided to cease: the plan is kept until the time to appeal has passed",
    "appealed": "Appealed: the plan is kept until the Tribunal decides",
    "continues": "Appeal upheld: the plan continues",
    "ceased": "Ceased",
}

DEADLINES = {
    "decision": "Decide whether to assess",
    "issue_decision": "Decide whether to issue a plan",
    "draft_plan": "Issue the draft plan",
    "final_plan": "Issue the final plan",
    # A plan in force (referrals.live): the annual review (Regs 20-22), a transfer in (Reg 15),
    # a re-assessment (Regs 24, 27) and a phase transfer (Reg 18).
    "review_meeting": "Hold the annual review meeting",
    "review_invitations": "Invite everyone to the review meeting",
    "review_report": "Send the review meeting's report",
    "review_decision": "Decide after the annual review",
    "amended_plan": "Issue the amended plan",
    "transfer_decision": "Tell the family whether you will reassess (transfer in)",
    "reassessment_decision": "Decide whether to reassess",
    "reassessment_plan": "Finalise the plan after the re-assessment",
    "phase_transfer": "Issue the amended plan naming the next school or college",
}
"""Which deadlines the law sets (the rest are the council's own targets): see ``LEGAL``."""

LEGAL = frozenset(
    {
        "decision",
        "final_plan",
        "review_meeting",
        "review_invitations",
        "review_report",
        "review_decision",
        "amended_plan",
        "transfer_decision",
        "reassessment_decision",
        "reassessment_plan",
        "phase_transfer",
    }
)
"""The statutory limits among ``DEADLINES`` (Regs 5(1), 13(2); a plan in force's: Regs 15,
18, 20-22, 24, 27). The issue decision's date is
the council's target: the law's 16 weeks (Reg 10(1)) is for a decision NOT to issue, and the
draft's date is the latest that leaves 15 days before week 20. Advice limits are legal too
(Reg 8), but they bind the adviser, not the council (``limit_kind``)."""


def limit_kind(kind: str) -> str:
    """Whose limit a deadline is, in the caseworker's words: the council's legal time limit,
    the adviser's (Reg 8: 6 weeks from receiving the request), or the council's own target."""
    if kind.startswith("advice:"):
        return "Adviser's legal time limit (6 weeks, Reg 8)"
    return "Legal time limit" if kind in LEGAL else "Council's target"


ADVICE = {
    "parent": "Parent or young person",
    "educational": "Educational (head teacher or teacher)",
    "medical": "Medical (health)",
    "educational_psychology": "Educational psychologist",
    "social_care": "Social care",
    "teacher_of_the_deaf": "Teacher of the deaf",
    "teacher_of_vision_impaired": "Teacher of the vision impaired",
    "other": "Other",
    "preparing_for_adulthood": "Preparing for adulthood (from Year 9)",
    "asked_for_by_family": "Advice the family asked for",
}

EXISTING_ADVICE = {k: v for k, v in ADVICE.items() if k != "parent"}
"""Advice that may be existing advice (Reg 6(4): kinds (b) to (h)): never the family's own."""

FAMILY_ADVICE_DECISIONS = {
    "seek": "We will seek it (a reasonable request)",
    "refuse": "We will not seek it: the request is not reasonable",
}
"""The council's decision on advice the family asked it to seek (Reg 6(1)(h))."""

FAMILY_AGREED_BY = {
    "parent": "The parent",
    "young_person": "The young person",
    "representative": "The young person's representative",
}

REPRESENTATIVES = {
    "deputy": "A deputy appointed by the Court of Protection",
    "attorney": "An attorney (a lasting power of attorney)",
    "parent": "A parent",
    "other": "Someone else",
}
"""Who may act for a young person who lacks mental capacity (s80), as referrals records it."""

DECIDERS = {
    "parent": "The parent (the child is of compulsory school age)",
    "young_person": "The young person (over compulsory school age, s83)",
    "representative": "The young person's representative (s80)",
}
"""Who makes the decisions today, as referrals says (Children and Families Act 2014 s83)."""

SHARING_CONSENT = {
    "given": "Given: what they tell us may be shared with the people who help",
    "refused": "Refused: do not share what they tell us",
}
"""A young person's answer about sharing (their own request, s83)."""

REQUESTERS = {
    "parent": "A parent",
    "young_person": "The young person",
    "school": "A school or college",
    "health": "Health",
    "social_care": "Social care",
}

REFUSAL_REASONS = {
    "no_evidence_of_special_educational_needs": "No evidence of special educational needs",
    "needs_met_from_available_provision": "Needs can be met from provision already available",
    "not_the_councils_responsibility": "The child is not this council's responsibility",
}

NOT_ISSUE_REASONS = {
    "needs_met_by_sen_support": "Needs can be met through SEN support",
    "not_the_councils_responsibility": "The child is not this council's responsibility",
}

EXCEPTIONS = {
    "school_closure": "The school or setting was closed for 4 weeks or more",
    "personal_circumstances": "Exceptional personal circumstances of the child or family",
    "family_away": "The family was away from the area for 4 weeks or more",
}

CLOSE_REASONS = {
    "support_completed": "The support is complete",
    "family_declined": "The family declined the support",
    "child_moved": "The child moved away",
}

NEEDS = {
    "SPLD": "Specific learning difficulty",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "HI": "Hearing impairment",
    "VI": "Vision impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "ASD": "Autistic spectrum disorder",
    "DS": "Down syndrome",
    "OTH": "Other difficulty or disability",
}

ROLES = {role.value: title[:1].upper() + title[1:] for role, title in SPECIALISM_TITLES.items()}
"""Each kind of specialist (the registry's ``role``), from the platform's shared vocabulary."""

CONSULTATION_ANSWERS = {
    "can_meet_needs": "The school can meet the child's needs",
    "cannot_meet_needs": "The school cannot meet the child's needs",
}

CHANNELS = {"email": "Email", "sms": "Text message", "letter": "Letter"}

LANGUAGES = {
    "en": "English",
    "cy": "Welsh",
    "ur": "Urdu",
    "pl": "Polish",
    "pa": "Punjabi",
    "bn": "Bengali",
    "ar": "Arabic",
    "ro": "Romanian",
    "so": "Somali",
}
"""Languages a family may ask for messages in (ISO 639-1); any other is shown as its code."""

DEADLINE_STATES = {
    "open": ("Open", "blue"),
    "met": ("Met", "green"),
    "missed": ("Missed", "red"),
    "cancelled": ("No longer needed", "grey"),
    "excused": ("Excused (regulation 8(2))", "grey"),
}

ADVICE_EXCUSES = {
    "personal_circumstances": "Exceptional personal circumstances of the child or family",
    "family_away": "The family away from the area for 4 weeks or more",
    "missed_appointment": "The child missed an appointment the adviser made",
}
"""Why an adviser need not meet their 6 weeks (Reg 8(2)), as referrals records it."""

DOCUMENT_KINDS = {
    "evidence": "Evidence",
    "advice": "Advice",
    "letter": "Letter",
    "report": "Report",
}
MEDIA_TYPES = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "image/jpeg": "JPEG picture",
    "image/png": "PNG picture",
}


def say(words: dict[str, str], code: str | None) -> str:
    """``code`` in words, or the code itself when it has none here yet."""
    if code is None:
        return ""
    return words.get(code, code.replace("_", " ").capitalize())


def deadline_name(kind: str) -> str:
    """A deadline's name: ``advice:medical`` is the medical advice's."""
    if kind.startswith("advice:"):
        return f"Advice: {say(ADVICE, kind.removeprefix('advice:'))}"
    return say(DEADLINES, kind)


def nhs_number(digits: str | None) -> str:
    """An NHS number as the NHS writes it: ``943 476 5919``."""
    if not digits or len(digits) != 10:
        return digits or ""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def size(size_bytes: int) -> str:
    """A file's size as people read it: ``850 KB``, ``2.4 MB``."""
    if size_bytes < 1000 * 1000:
        return f"{max(1, round(size_bytes / 1000))} KB"
    return f"{size_bytes / 1000 / 1000:.1f} MB"
