"""One plan document per broad area of need, as drafting makes them, for the family page's
tests (and its screenshots), built directly: they do not depend on drafting; and an EHC plan
as a caseworker prepares it to issue (``prepared_ehc_plan``)."""

from __future__ import annotations

from datetime import date

from plans.document import Area, HealthAgreement, Need, Outcome, PlanDocument, Provision
from plans.ehc_plan import drafted_from_advice
from plans.statutory_checks import DEFERRED, SCHOOL_YEAR_WEEKS

from shared.events import Sen2Need
from shared.specialisms import Specialism

REVIEW = date(2027, 7, 16)


def _plan(
    area: Area,
    code: Sen2Need,
    *,
    need: str,
    goal: str,
    measure: str,
    provision: list[Provision],
    health: list[Provision] | None = None,
    track: str = "support",
    marker: str = "",
) -> PlanDocument:
    return PlanDocument(
        track="ehc" if track == "ehc" else "support",
        phase="primary",
        catalogue_versions=["national-2026.1"],
        A=f"Loves drawing dinosaurs and wants to play football at break.{marker}",
        B=[
            Need(
                id="need-1",
                code=code,
                area=area,
                primary=True,
                description=f"{need}{marker}",
                in_the_referrers_words=f"Kind and funny; finds busy rooms hard.{marker}",
            )
        ],
        E=[
            Outcome(
                id="outcome-1",
                need_ids=["need-1"],
                text=f"{goal}{marker}",
                measure=measure,
                review_on=REVIEW,
                standard_id=provision[0].standard_id,
            )
        ],
        F=provision,
        G=health or [],
    )


def _line(support: str, standard: str, role: Specialism | None, **quantities: object) -> Provision:
    values: dict[str, object] = {
        "sessions_per_week": 2,
        "minutes_per_session": 30,
        "weeks": 12,
        "group_size": 4,
        "where": "school",
        **quantities,
    }
    return Provision.model_validate(
        {
            "id": f"provision-{standard}",
            "outcome_ids": ["outcome-1"],
            "support": support,
            "role": role,
            "standard_id": standard,
            **values,
        }
    )


def plans_by_area(marker: str = "") -> dict[str, PlanDocument]:
    """A plan for each of the four broad areas; ``marker`` is written into its free text (to
    find another child's plan wherever it might leak)."""
    return {
        "communication-and-interaction": _plan(
            "communication and interaction",
            Sen2Need.SLCN,
            need="Your child finds it hard to put words together to say what they need.",
            goal="By July 2027, your child asks for help in class using 3-word phrases.",
            measure="The class teacher counts requests in 3 lessons each term",
            provision=[
                _line(
                    "A small-group language programme",
                    "SLCN-EXPR-01",
                    Specialism.SPEECH_AND_LANGUAGE_THERAPY,
                    delivered_by="a speech and language therapist",
                )
            ],
            marker=marker,
        ),
        "cognition-and-learning": _plan(
            "cognition and learning",
            Sen2Need.SPLD,
            need="Your child finds reading and spelling much harder than other children.",
            goal="By July 2027, your child reads 40 common words without help.",
            measure="A reading check at the start of each term",
            provision=[
                _line(
                    "Daily reading practice using sounds (phonics)",
                    "SPLD-READ-01",
                    Specialism.SPECIALIST_TEACHING,
                    sessions_per_week=5,
                    minutes_per_session=20,
                    weeks=30,
                    group_size=1,
                    where="a quiet room at school",
                    delivered_by="a teaching assistant trained by a specialist teacher",
                )
            ],
            marker=marker,
        ),
        "social-emotional-and-mental-health": _plan(
            "social, emotional and mental health",
            Sen2Need.SEMH,
            need="Your child finds it hard to calm down when upset and sometimes leaves class.",
            goal="By July 2027, your child uses a calm-down plan and stays in class most days.",
            measure="Staff record each week how often your child stays in class",
            provision=[
                _line(
                    "Emotional literacy support sessions (ELSA)",
                    "SEMH-REG-01",
                    Specialism.EDUCATIONAL_PSYCHOLOGY,
                    sessions_per_week=1,
                    minutes_per_session=45,
                    weeks=10,
                    group_size=1,
                    delivered_by="a teaching assistant trained and supervised by an "
                    "educational psychologist",
                )
            ],
            marker=marker,
        ),
        "sensory-and-physical": _plan(
            "sensory and/or physical",
            Sen2Need.HI,
            need="Your child has a hearing loss and misses what is said in noisy places.",
            goal="By July 2027, your child follows spoken instructions in class with a radio aid.",
            measure="The teacher of the deaf observes a lesson each term",
            provision=[
                _line(
                    "Visits to help staff use a radio aid and plan lessons",
                    "HI-ACCESS-01",
                    Specialism.HEARING_IMPAIRMENT_TEACHING,
                    sessions_per_week=0.5,
                    minutes_per_session=60,
                    weeks=36,
                    group_size=1,
                    where="in class",
                    delivered_by="a qualified teacher of the deaf",
                )
            ],
            health=[
                _line(
                    "A hearing check (audiology review)",
                    "HI-HEALTH-01",
                    None,
                    sessions_per_week=0.25,
                    minutes_per_session=45,
                    weeks=4,
                    group_size=1,
                    where="the audiology clinic",
                    delivered_by="an NHS audiologist",
                )
            ],
            track="ehc",
            marker=marker,
        ),
    }


def prepared_ehc_plan(support_plan: PlanDocument, expected_issue: date) -> PlanDocument:
    """The EHC plan drafted from ``support_plan`` as a caseworker prepares it to issue
    (``made_ready``)."""
    return made_ready(drafted_from_advice(support_plan, expected_issue), expected_issue)


def made_ready(ehc: PlanDocument, agreed_on: date) -> PlanDocument:
    """The EHC plan as a caseworker makes it ready to issue and finalise: every line
    confirmed, provision for the plan's period and specified, health provision agreed,
    sections C, D, H, J written and I naming a setting."""
    agreed = HealthAgreement(
        agreed_by="NHS West Yorkshire Integrated Care Board", agreed_on=agreed_on,
        recorded_by="leeds-caseworker",
    )  # fmt: skip

    def ready(line: Provision, health: bool) -> Provision:
        one_off = line.weeks == 1 and line.sessions_per_week <= 1
        return line.model_copy(
            update={
                "suggested": False,
                "weeks": line.weeks if one_off else SCHOOL_YEAR_WEEKS,
                "support": "sessions on the outcomes in section E"
                if DEFERRED.search(line.support)
                else line.support,
                "health_agreement": agreed if health else None,
            }
        )

    return ehc.model_copy(
        update={
            "C": "No health needs beyond those in section B.",
            "D": "No social care needs.",
            "H1": "None.",
            "H2": "None.",
            "I": "A mainstream primary school (URN 107001).",
            "J": "The family has not asked for a personal budget.",
            "E": [o.model_copy(update={"suggested": False}) for o in ehc.E],
            "F": [ready(p, False) for p in ehc.F],
            "G": [ready(p, True) for p in ehc.G],
        }
    )
