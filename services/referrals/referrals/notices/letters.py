"""Each decision's letter to the family (Regs 5, 10, 13, 14, 32): what it says, as HTML from one
autoescaped template, and as the PDF the council keeps and the family opens (WeasyPrint, which
may fetch nothing). Pure but for the printing, which blocks: run ``pdf`` in a worker thread.

A decision that can be appealed (a refusal to assess, a decision not to issue, the final plan,
an amended final plan after an annual review: Reg 22(5), appealed as a final plan, Reg 14; a
decision to cease the plan: s45, Reg 31(3); after a re-assessment, a refusal to re-assess, the
amended plan and a decision not to amend it: s51(2))
gives the right to appeal and its date, mediation (Reg 32: the adviser's contact details and
the timescales), disagreement resolution and SENDIASS; a decision to assess or to issue gives
none. The caseworker's own words (the ``note``) are the letter's individual reasons."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import date

from jinja2 import Environment, PackageLoader, StrictUndefined

from referrals.notices.council import CouncilNotices


class LetterKind(enum.StrEnum):
    ASSESSMENT_AGREED = "assessment_agreed"
    ASSESSMENT_REFUSED = "assessment_refused"
    PLAN_TO_BE_ISSUED = "plan_to_be_issued"
    PLAN_NOT_ISSUED = "plan_not_issued"
    DRAFT_PLAN = "draft_plan"
    FINAL_PLAN = "final_plan"
    AMENDED_PLAN = "amended_plan"  # after an annual review (Reg 22(5)); appealed as a final plan
    CEASE_DECIDED = "cease_decided"  # a decision to cease the plan (s45, Reg 31(2)-(3))
    # A re-assessment of a plan in force (Regs 24-27; appeals: s51(2)(d), (e) and (c)).
    REASSESSMENT_AGREED = "reassessment_agreed"
    REASSESSMENT_REFUSED = "reassessment_refused"
    REASSESSMENT_PLAN_AMENDED = "reassessment_plan_amended"
    REASSESSMENT_NOT_AMENDED = "reassessment_not_amended"


TITLES = {
    LetterKind.ASSESSMENT_AGREED: "Our decision to carry out an EHC needs assessment",
    LetterKind.ASSESSMENT_REFUSED: "Our decision not to carry out an EHC needs assessment",
    LetterKind.PLAN_TO_BE_ISSUED: "Our decision to issue an EHC plan",
    LetterKind.PLAN_NOT_ISSUED: "Our decision not to issue an EHC plan",
    LetterKind.DRAFT_PLAN: "The draft EHC plan: the date for your comments and your rights",
    LetterKind.FINAL_PLAN: "The final EHC plan and your right to appeal",
    LetterKind.AMENDED_PLAN: "The amended EHC plan and your right to appeal",
    LetterKind.CEASE_DECIDED: "Our decision to cease the EHC plan and your right to appeal",
    LetterKind.REASSESSMENT_AGREED: "Our decision to carry out a new EHC needs assessment",
    LetterKind.REASSESSMENT_REFUSED: "Our decision not to carry out a new EHC needs assessment",
    LetterKind.REASSESSMENT_PLAN_AMENDED: "The amended EHC plan after the re-assessment and "
    "your right to appeal",
    LetterKind.REASSESSMENT_NOT_AMENDED: "Our decision not to amend the EHC plan after the "
    "re-assessment and your right to appeal",
}
"""Each letter as the family's page lists it."""

APPEALABLE = frozenset(
    {
        LetterKind.ASSESSMENT_REFUSED,
        LetterKind.PLAN_NOT_ISSUED,
        LetterKind.FINAL_PLAN,
        LetterKind.AMENDED_PLAN,
        LetterKind.CEASE_DECIDED,
        LetterKind.REASSESSMENT_REFUSED,
        LetterKind.REASSESSMENT_PLAN_AMENDED,
        LetterKind.REASSESSMENT_NOT_AMENDED,
    }
)
PLANS = frozenset(
    {LetterKind.FINAL_PLAN, LetterKind.AMENDED_PLAN, LetterKind.REASSESSMENT_PLAN_AMENDED}
)
"""Letters with a plan: the appeal is about its sections B, F and I (Reg 14)."""

REASONS = {
    "no_evidence_of_special_educational_needs": "the information we have does not suggest "
    "special educational needs that may need an EHC plan",
    "needs_met_from_available_provision": "we think the support the school or setting can "
    "provide, with our help, can meet the needs described in the request",
    "needs_met_by_sen_support": "the assessment shows that the support the school or setting "
    "can provide (SEN support) can meet the needs it found",
    "not_the_councils_responsibility": "another council is responsible",
    # Ceasing a plan (s45(1), Regs 29-30): the ground, as the family reads it.
    "no_longer_necessary": "we think the EHC plan is no longer necessary: the special "
    "educational provision it sets out is no longer needed",
    "no_longer_responsible": "we are no longer responsible for the child or young person",
    "higher_education": "the young person has started higher education, for which we are not "
    "responsible under an EHC plan",
    "left_education": "the young person has left education or training and, as the review "
    "found, does not wish to return to it, or returning would not be appropriate",
}
"""The reason codes in the family's words (as in their message)."""


@dataclass(frozen=True)
class Letter:
    """What one decision's letter says."""

    kind: LetterKind
    reference: str
    child_name: str | None
    """None once the child's details are erased (a letter is never written then)."""
    dated: date
    council: CouncilNotices
    reason: str | None = None
    note: str | None = None
    appeal_by: date | None = None
    comments_due: date | None = None

    @property
    def appealable(self) -> bool:
        return self.kind in APPEALABLE

    @property
    def filename(self) -> str:
        """Named by its kind and the reference, never the child."""
        return f"letter-{self.kind.value.replace('_', '-')}-{self.reference}.pdf"


_templates = Environment(
    loader=PackageLoader("referrals.notices", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
)
_templates.filters["day"] = lambda day: f"{day.day} {day:%B %Y}"


def html(letter: Letter) -> str:
    """The letter as HTML (what the PDF prints)."""
    return _templates.get_template("letter.html").render(
        letter=letter, reason=REASONS.get(letter.reason or ""), kinds=LetterKind, plans=PLANS
    )


_CSS = """@page { size: A4; margin: 22mm 18mm;
  @bottom-center { content: "Page " counter(page) " of " counter(pages); font-size: 9pt; } }
body { font: 10.5pt/1.45 "DejaVu Sans", arial, sans-serif; color: #0b0c0c; }
h1 { font-size: 16pt; } h2 { font-size: 12.5pt; margin-top: 1.2em; }
.example { border: 2pt solid #d4351c; padding: 4pt; }"""


def pdf(letter: Letter) -> bytes:
    """The letter as a tagged A4 PDF (blocking: run it in a worker thread)."""
    # Imported on first use: loading WeasyPrint takes seconds.
    from weasyprint import CSS, HTML, URLFetcher  # type: ignore[import-untyped]  # no types

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    fetcher = URLFetcher(allowed_protocols=())  # a letter loads nothing from anywhere
    document: bytes = HTML(string=html(letter), url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=_CSS)], pdf_tags=True
    )
    return document
