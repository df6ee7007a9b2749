"""The shared vocabulary of specialisms: what a plan's provision needs (plans) and what a
team or practitioner is (specialists). Both services name them only from here, so a plan's
need and a registry entry can be matched without translation. Data, no business rule.

The APIs, events and the registry's CSV call a specialism a ``role`` (``provision_roles``, an
entry's ``role``): those names stay. In the code it is a ``Specialism``, never a ``Role``,
which is what a signed-in person may do (``shared.auth``).
"""

from __future__ import annotations

import enum


class Specialism(enum.StrEnum):
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


SPECIALISM_TITLES: dict[Specialism, str] = {  # plain English, as a family or caseworker reads it
    Specialism.SPEECH_AND_LANGUAGE_THERAPY: "speech and language therapist",
    Specialism.EDUCATIONAL_PSYCHOLOGY: "educational psychologist",
    Specialism.OCCUPATIONAL_THERAPY: "occupational therapist",
    Specialism.PHYSIOTHERAPY: "physiotherapist",
    Specialism.HEARING_IMPAIRMENT_TEACHING: "qualified teacher of the deaf",
    Specialism.VISION_IMPAIRMENT_TEACHING: "qualified teacher of children with vision impairment",
    Specialism.MULTI_SENSORY_IMPAIRMENT_TEACHING: (
        "qualified teacher of children with multi-sensory impairment"
    ),
    Specialism.AUTISM_OUTREACH: "autism outreach teacher",
    Specialism.SEMH_SUPPORT: "social, emotional and mental health practitioner",
    Specialism.SPECIALIST_TEACHING: "specialist teacher for learning difficulties",
}
