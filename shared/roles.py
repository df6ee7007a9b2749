"""The shared vocabulary of specialist roles: what a plan's provision needs (plans) and what a
team or practitioner is (specialists). Both services name roles only from here, so a plan's
need and a registry entry can be matched without translation. Data, no business rule.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """A kind of specialist who delivers provision or gives statutory advice."""

    SPEECH_AND_LANGUAGE_THERAPY = "speech_and_language_therapy"
    EDUCATIONAL_PSYCHOLOGY = "educational_psychology"
    OCCUPATIONAL_THERAPY = "occupational_therapy"
    PHYSIOTHERAPY = "physiotherapy"
    HEARING_IMPAIRMENT_TEACHING = "hearing_impairment_teaching"
    VISION_IMPAIRMENT_TEACHING = "vision_impairment_teaching"
    MULTI_SENSORY_IMPAIRMENT_TEACHING = "multi_sensory_impairment_teaching"
    AUTISM_OUTREACH = "autism_outreach"
    SEMH_SUPPORT = "semh_support"
    SPECIALIST_TEACHING = "specialist_teaching"


ROLE_TITLES: dict[Role, str] = {  # plain English, as a family or caseworker reads it
    Role.SPEECH_AND_LANGUAGE_THERAPY: "speech and language therapist",
    Role.EDUCATIONAL_PSYCHOLOGY: "educational psychologist",
    Role.OCCUPATIONAL_THERAPY: "occupational therapist",
    Role.PHYSIOTHERAPY: "physiotherapist",
    Role.HEARING_IMPAIRMENT_TEACHING: "qualified teacher of the deaf",
    Role.VISION_IMPAIRMENT_TEACHING: "qualified teacher of children with vision impairment",
    Role.MULTI_SENSORY_IMPAIRMENT_TEACHING: "qualified teacher of children with multi-sensory "
    "impairment",
    Role.AUTISM_OUTREACH: "autism outreach teacher",
    Role.SEMH_SUPPORT: "social, emotional and mental health practitioner",
    Role.SPECIALIST_TEACHING: "specialist teacher for learning difficulties",
}
