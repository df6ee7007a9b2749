"""Drafting a plan's document from a referral, matched against the standards in force for its
council. Pure and deterministic: the same referral, words and catalogue versions give the same
document (ids numbered in order, dates counted from the request's ``received_on``).

Each need (the primary first, then the secondary needs in the referrer's order) gets a plain
English description (B) and the standards that serve it in the child's phase: up to two for
the primary need, one for each secondary need. Each standard brings its SMART outcomes (E) and
its quantified provision (F, or G for health), every line citing the standard. A standard
already drafted for an earlier need is not repeated: its outcomes meet the later need too.
"""

from __future__ import annotations

from datetime import date, timedelta

from plans.document import SECTION_KEYS, SUPPORT_SECTIONS, Need, Outcome, PlanDocument, Provision
from plans.standards import Catalogue, Standard
from shared.events import Phase, ReferralDescribed, ReferralReceived, Sen2Need

STANDARDS_PER_NEED = {True: 2, False: 1}  # primary need: 2; each secondary need: 1
VIEWS_TO_ADD = "To be added with the child and family."


def draft_document(
    referral: ReferralReceived, described: ReferralDescribed | None, catalogue: Catalogue
) -> PlanDocument:
    """The first draft of the referral's plan."""
    draft = _Draft(referral.received_on, referral.phase)
    codes = [referral.primary_need]
    codes += [n for n in dict.fromkeys(referral.secondary_needs) if n != referral.primary_need]
    for number, code in enumerate(codes, start=1):
        draft.add_need(f"need-{number}", code, catalogue, described if number == 1 else None)
    views = described.views if described is not None and described.views else None
    document = PlanDocument(
        track="support",
        phase=referral.phase,
        drafted_on=referral.received_on,
        catalogue_versions=catalogue.versions,
        A=views or VIEWS_TO_ADD,
        B=draft.needs,
        E=draft.outcomes,
        F=[line for section, line in draft.provision if section == "F"],
        G=[line for section, line in draft.provision if section == "G"],
    )
    # On the EHC track too this is the support plan: the EHC plan is drafted from the advice,
    # once the council decides to issue one (``plans.ehc_plan``).
    return document


def sections_drafted(document: PlanDocument) -> list[str]:
    """The sections a track's plan has: all of them on the EHC track."""
    return list(SECTION_KEYS if document.track == "ehc" else SUPPORT_SECTIONS)


def subject(phase: Phase | None) -> str:
    return "the young person" if phase == "post_16" else "the child"


def in_the_referrers_words(described: ReferralDescribed | None) -> str | None:
    if described is None:
        return None
    said = [
        f"{label}: {text.strip()}"
        for label, text in (
            ("Strengths", described.strengths),
            ("Difficulties", described.difficulties),
        )
        if text and text.strip()
    ]
    return "\n".join(said) or None


class _Draft:
    def __init__(self, drafted_on: date, phase: Phase | None) -> None:
        self.drafted_on = drafted_on
        self.phase = phase
        self.needs: list[Need] = []
        self.outcomes: list[Outcome] = []
        self.provision: list[tuple[str, Provision]] = []
        self.outcome_ids: dict[str, list[str]] = {}  # standard id -> its outcomes' ids

    def add_need(
        self,
        need_id: str,
        code: Sen2Need,
        catalogue: Catalogue,
        described: ReferralDescribed | None,
    ) -> None:
        words = catalogue.needs[code]
        primary = not self.needs
        self.needs.append(
            Need(
                id=need_id,
                code=code,
                area=words.area,
                primary=primary,
                description=f"{words.title}: {subject(self.phase)} "
                f"{words.description[:1].lower()}{words.description[1:]}"
                + (" This is the main need." if primary else ""),
                in_the_referrers_words=in_the_referrers_words(described),
            )
        )
        serving = catalogue.for_need(code, self.phase)
        fresh = [s for s in serving if s.id not in self.outcome_ids]
        for standard in fresh[: STANDARDS_PER_NEED[primary]]:
            self.add_standard(need_id, standard)
        if not fresh and serving:  # all drafted already: the first one's outcomes meet it too
            for outcome_id in self.outcome_ids[serving[0].id]:
                self.also_meets(outcome_id, need_id)

    def add_standard(self, need_id: str, standard: Standard) -> None:
        ids: dict[str, str] = {}
        for template in standard.outcomes:
            ids[template.key] = f"outcome-{len(self.outcomes) + 1}"
            review_on = self.drafted_on + timedelta(weeks=template.review_weeks)
            self.outcomes.append(
                Outcome(
                    id=ids[template.key],
                    need_ids=[need_id],
                    text=f"By {review_on.day} {review_on:%B %Y}, {subject(self.phase)} "
                    f"{template.text}.",
                    measure=template.measure,
                    review_on=review_on,
                    standard_id=standard.id,
                )
            )
        self.outcome_ids[standard.id] = list(ids.values())
        for line in standard.provision:
            provision = Provision(
                id=f"provision-{len(self.provision) + 1}",
                outcome_ids=[ids[key] for key in line.outcomes],
                **line.model_dump(exclude={"section", "outcomes", "dose"}),
                standard_id=standard.id,
                dose=line.dose.words if line.dose else None,
            )
            self.provision.append((line.section, provision))

    def also_meets(self, outcome_id: str, need_id: str) -> None:
        for i, outcome in enumerate(self.outcomes):
            if outcome.id == outcome_id and need_id not in outcome.need_ids:
                self.outcomes[i] = outcome.model_copy(
                    update={"need_ids": [*outcome.need_ids, need_id]}
                )
