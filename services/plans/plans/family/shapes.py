"""What the family page and the PDF are made of: the plan in the family's words, or the
page saying it is being prepared. Plain data, built by ``plans.family.view``."""

from __future__ import annotations

from dataclasses import dataclass, field

HEADINGS = {
    "A": "What your child and your family told us",
    "B": "What your child finds hard",
    "C": "Your child's health needs",
    "D": "Your child's social care needs",
    "E": "What we want to achieve",
    "F": "The help your child will get",
    "G": "Health care your child will get",
    "H1": "Social care help your child will get",
    "H2": "Other social care help",
    "I": "Your child's school or setting",
    "J": "Personal budget",
    "K": "Advice we were given",
}


@dataclass(frozen=True)
class Council:
    name: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Need:
    area: str
    description: str
    referrers_words: str | None


@dataclass(frozen=True)
class Goal:
    number: int
    text: str
    measure: str
    review_on: str
    standard: str | None


@dataclass(frozen=True)
class Help:
    what: str
    sentence: str
    who: str
    how_often: str
    where: str
    goals: list[int]
    standard: str | None


@dataclass(frozen=True)
class FamilyPlan:
    reference: str
    council: Council
    status: str
    status_words: str
    version: int
    dated: str
    track: str
    views: str | None
    needs: list[Need]
    goals: list[Goal]
    help: list[Help]
    health: list[Help]
    texts: dict[str, str] = field(default_factory=dict)  # C, D, H1, H2, I, J when written
    advice: list[tuple[str, str]] = field(default_factory=list)
    comments_open: bool = False
    comments_due: str | None = None
    headings: dict[str, str] = field(default_factory=lambda: dict(HEADINGS))
    child_name: str | None = None
    """The child the plan is for, and their date of birth (``born``), once referrals said."""
    born: str | None = None

    @property
    def title(self) -> str:
        if self.track == "ehc":
            return "Your child's education, health and care plan"
        return "Your child's support plan"


def lettered(headings: dict[str, str]) -> dict[str, str]:
    """An EHC plan's headings with their section's letter, as Regulation 12 names them."""
    return {key: f"Section {key}: {words}" for key, words in headings.items()}


@dataclass(frozen=True)
class Preparing:
    reference: str
    council: Council
    what: str
