"""The national standards catalogue: for each SEN2 primary need, the broad area of need, the
specialism that should see the child first, and the provision a draft plan starts from.

Section F provision is specific and quantified (who, what, how often, how long, group size),
as the Code of Practice asks. Pure data and its types.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import Sen2Need

COMMUNICATION = "communication and interaction"
COGNITION = "cognition and learning"
SEMH = "social, emotional and mental health"
SENSORY = "sensory and/or physical"


@dataclass(frozen=True)
class Provision:
    """One line of section F."""

    who: str
    what: str
    how_often: str
    how_long: str
    group_size: str


@dataclass(frozen=True)
class Standard:
    area_of_need: str
    specialism: str
    outcome: str
    provision: Provision


def _p(who: str, what: str, how_often: str, how_long: str, group: str) -> Provision:
    return Provision(who, what, how_often, how_long, group)


NATIONAL_STANDARDS: dict[Sen2Need, Standard] = {
    Sen2Need.SLCN: Standard(
        COMMUNICATION,
        "speech_and_language_therapy",
        "Makes needs known and follows classroom instructions",
        _p(
            "speech and language therapist",
            "assessment and a language programme",
            "weekly",
            "12 weeks",
            "1:1, then groups of up to 4",
        ),
    ),
    Sen2Need.ASD: Standard(
        COMMUNICATION,
        "speech_and_language_therapy",
        "Takes part in shared activities and copes with change",
        _p(
            "speech and language therapist",
            "social communication programme",
            "weekly",
            "12 weeks",
            "groups of up to 4",
        ),
    ),
    Sen2Need.SPLD: Standard(
        COGNITION,
        "educational_psychology",
        "Reads and writes at a level that lets them learn with their class",
        _p(
            "specialist teacher",
            "structured literacy intervention",
            "3 times a week",
            "30 minutes, 10 weeks",
            "groups of up to 3",
        ),
    ),
    Sen2Need.MLD: Standard(
        COGNITION,
        "educational_psychology",
        "Makes steady progress in literacy and numeracy",
        _p(
            "teaching assistant trained by an educational psychologist",
            "small-group learning programme",
            "daily",
            "20 minutes, 12 weeks",
            "groups of up to 4",
        ),
    ),
    Sen2Need.SLD: Standard(
        COGNITION,
        "educational_psychology",
        "Communicates choices and gains independence in daily routines",
        _p(
            "educational psychologist",
            "assessment and personalised learning plan",
            "fortnightly",
            "one term",
            "1:1",
        ),
    ),
    Sen2Need.PMLD: Standard(
        COGNITION,
        "occupational_therapy",
        "Takes part in learning with the right postural and sensory support",
        _p("occupational therapist", "postural and sensory programme", "weekly", "one term", "1:1"),
    ),
    Sen2Need.DS: Standard(
        COGNITION,
        "speech_and_language_therapy",
        "Speaks and signs to be understood by adults and peers",
        _p(
            "speech and language therapist",
            "speech and signing programme",
            "weekly",
            "12 weeks",
            "1:1",
        ),
    ),
    Sen2Need.SEMH: Standard(
        SEMH,
        "educational_psychology",
        "Manages feelings and stays in class for the whole day",
        _p(
            "educational psychologist",
            "emotional literacy support programme",
            "weekly",
            "8 weeks",
            "1:1",
        ),
    ),
    Sen2Need.HI: Standard(
        SENSORY,
        "sensory_support",
        "Accesses spoken teaching with the right aids and adjustments",
        _p(
            "qualified teacher of the deaf",
            "audiology review and classroom adjustments",
            "half-termly",
            "one year",
            "1:1",
        ),
    ),
    Sen2Need.VI: Standard(
        SENSORY,
        "sensory_support",
        "Accesses written materials and moves safely around school",
        _p(
            "qualified teacher of the visually impaired",
            "habilitation and adapted materials",
            "fortnightly",
            "one year",
            "1:1",
        ),
    ),
    Sen2Need.MSI: Standard(
        SENSORY,
        "sensory_support",
        "Communicates and learns with multi-sensory support",
        _p(
            "multi-sensory impairment teacher",
            "multi-sensory programme",
            "weekly",
            "one term",
            "1:1",
        ),
    ),
    Sen2Need.PD: Standard(
        SENSORY,
        "occupational_therapy",
        "Moves, writes and looks after themselves with the right equipment",
        _p(
            "occupational therapist",
            "motor skills programme and equipment review",
            "weekly",
            "10 weeks",
            "1:1",
        ),
    ),
    Sen2Need.OTH: Standard(
        COGNITION,
        "educational_psychology",
        "Needs are understood and the right support agreed",
        _p("educational psychologist", "assessment of needs", "once", "within 6 weeks", "1:1"),
    ),
}
