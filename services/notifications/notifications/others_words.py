"""What the others the council tells of a step are sent (Regs 4(2), 5(2), 10(2), 13(2), 31(2)):
the child's school, health (the designated medical or clinical officer), social care and, of the
final plan and a decision to cease it, the health commissioning body, each at its team
mailbox. The step and the reference only: never the child's name or needs, nor a reason. Pure."""

from __future__ import annotations

from notifications.wording import Words

TOLD_WORDS: dict[str, str] = {
    "ehc_assessment_requested": "the council has received a request for an education, health "
    "and care (EHC) needs assessment and is considering whether to carry one out",
    "assessment_decided:assess": "the council has decided to carry out an education, health "
    "and care (EHC) needs assessment",
    "assessment_decided:refuse": "the council has decided not to carry out an education, "
    "health and care (EHC) needs assessment",
    "plan_issue_decided:not_issue": "after the EHC needs assessment, the council has decided "
    "not to issue an education, health and care (EHC) plan",
    "final_plan_issued": "the council has issued the final education, health and care (EHC) plan",
    "plan_ceasing_decided:cease": "the council has decided to cease to maintain the education, "
    "health and care (EHC) plan; it is kept until the time to appeal has passed or any appeal "
    "is decided",
    "": "the council has taken a step in an education, health and care (EHC) needs assessment",
}

OTHERS_PHRASES = {"told": TOLD_WORDS}

OTHERS_TEXTS: dict[str, Words] = {
    "others-notified": Words(
        subject="EHC needs assessment, reference {reference}: a step you are told of",
        body=(
            "The council tells you, as the law requires, that {told} (reference "
            "{reference}).\n\n"
            "This message holds no details about the child. For what you need to know, "
            "contact the council's SEND team and quote the reference, or sign in to the "
            "council's workspace if you have an account: {link}"
        ),
        sms="EHC needs assessment, reference {reference}: a step you are told of. {link}",
    ),
}
