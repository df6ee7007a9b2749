"""The cases of a simulated council year (``scripts.bench.council_year``) and the days of their
steps: pure, seeded (each case its own dice, so a case is the same whatever the year's size).

The council is on time, each step taken before its limit's at-risk warning would go (a
deadline is at risk ``DEADLINE_AT_RISK_DAYS``, 10, before it), except the cases late on
purpose, each at exactly one limit, with every step inside the year and time to warn before
it. Plans in force are brought in with their next review due from the year's 30th day on;
requests arrive evenly through the year.

Phase transfers (Reg 18): a child moving phase in the year's September has the review opened by
the transfer scheduler on the first day (its window, the autumn term before, began before the
platform did: the council starts the review then), and the council does it as fast as the law
lets it, the amended plan naming the next setting out before the transfer's at-risk warning
(``transfer_steps``); a seeded share of those due 14 February is late on purpose, issued 5 days
after it. An amended plan of a child whose transfer is the next September names the next
setting too (``next_setting``), as the amended-plan route asks.

(Longer than most modules: every kind of case and each of its steps' days, read together,
as the limits they keep are.)
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from referrals.live.phase_transfer import PhaseTransfer, applies_to
from referrals.sen2.upn import check_letter

from scripts.bench.live_plans import COLUMNS, nhs_number
from scripts.bench.samples import FAMILY, GIVEN, LEEDS
from shared import dates

REVIEW_LATE = ("review_invitations", "review_meeting", "review_report", "review_decision",
               "amended_plan")  # fmt: skip
EHC_LATE = ("decision", "advice:educational_psychology", "final_plan")
ADVICE = ("parent", "educational", "medical", "educational_psychology", "social_care")
NEEDS = ("ASD", "SLCN", "SEMH", "MLD", "SPLD")  # no hearing or vision: no specialist teacher
EVERYONE = ["family", "school", "health", "social_care"]


@dataclass(frozen=True)
class YearPlan:
    """The year's size and seed. ``late_share``: of the cases that can be late within the
    year, the share that is, each at one limit; ``amend_share``: reviews decided "amend";
    ``refuse_share`` / ``not_issue_share``: requests refused, assessments not issued;
    ``no_upn_share``: children whose UPN the council never records (the return's problem)."""

    plans: int
    requests: int
    seed: int = 22
    first_day: date = date(2027, 1, 1)
    late_share: float = 0.04
    amend_share: float = 0.12
    refuse_share: float = 0.15
    not_issue_share: float = 0.1
    no_upn_share: float = 0.02
    concurrency: int = 4

    @property
    def last_day(self) -> date:
        return date(self.first_day.year, 12, 31)


Late = tuple[str, str]
"""A limit missed on purpose: (the case's referral id, the deadline kind)."""
Step = tuple[date, str, dict[str, Any]]
"""A caseworker's step: its day, the path under the referral, the body."""


def dice(plan: YearPlan, kind: str, n: int) -> random.Random:
    """The n-th case's own dice for ``kind``: the same whatever else the year holds."""
    return random.Random(f"{plan.seed}:{kind}:{n}")  # noqa: S311  # a simulation's dice, no secret


def upn(n: int) -> str:
    digits = f"{380:03d}{2000 + n // 1000 % 10000:04d}{15:02d}{n % 1000:03d}"
    return check_letter(digits) + digits


def review_due(plan: YearPlan, n: int) -> date:
    """The n-th plan's next review: spread over the year from its 30th day (time to arrange
    a meeting 2 weeks ahead and hold it before its limit is at risk)."""
    return plan.first_day + timedelta(30 + n * 335 // max(plan.plans, 1))


def plans_csv(plan: YearPlan) -> str:
    """The plans in force: children born 2005 to 2017, spread (``n * 1009``, 1009 prime to
    4,600 days) so that even a small year holds children of every phase transfer."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for n in range(plan.plans):
        due = review_due(plan, n)
        last = dates.add_months(due, -12)
        writer.writerow(
            [f"SIM-{n:06d}", LEEDS, GIVEN[n % len(GIVEN)], FAMILY[n // len(GIVEN) % len(FAMILY)],
             str(date(2005, 1, 1) + timedelta(n * 1009 % 4600)), nhs_number(n),
             f"LS{6 + n % 4} {n % 10}AB", "A Parent", f"parent{n}@example.org",
             " ".join(NEEDS[(n + k) % len(NEEDS)] for k in range(1 + n % 3)),
             str(last - timedelta(365 * (n % 4))), str(last), f"{107000 + n % 900}"]
        )  # fmt: skip
    return out.getvalue()


def request_body(plan: YearPlan, n: int, day: date) -> dict[str, Any]:
    child: dict[str, Any] = {
        "given_name": GIVEN[n % len(GIVEN)],
        "family_name": FAMILY[n // len(GIVEN) % len(FAMILY)],
        "date_of_birth": str(date(2018, 3, 1) + timedelta(n)),
        "postcode": f"LS{6 + n % 4} {n % 10}EH",
    }
    if dice(plan, "upn", plan.plans + n).random() >= plan.no_upn_share:
        child["upn"] = upn(plan.plans + n)
    return {
        "local_authority": LEEDS, "track": "ehc", "requested_by": "parent",
        "primary_need": NEEDS[n % len(NEEDS)], "received_on": str(day), "child": child,
        "family_contact": {"name": "A Parent", "email": f"family{n}@example.org"},
    }  # fmt: skip


def request_day(plan: YearPlan, n: int) -> date:
    return plan.first_day + timedelta(n * 365 // max(plan.requests, 1))


def request_steps(plan: YearPlan, n: int, received: date) -> tuple[list[Step], str | None]:
    """The n-th request's steps, on time unless it is one of the late, and the limit it
    misses then."""
    rng = dice(plan, "request", n)
    refuse = rng.random() < plan.refuse_share
    not_issue = not refuse and rng.random() < plan.not_issue_share
    can_be_late = not refuse and not not_issue and received <= plan.last_day - timedelta(150)
    late = EHC_LATE[rng.randrange(len(EHC_LATE))] if can_be_late else None
    if not (can_be_late and rng.random() < plan.late_share):
        late = None
    on = {"decide": 20, "ask": 21, "receive": 45, "plan": 50, "draft": 60, "final": 80}
    if late == "decision":  # 2 days after its 6 weeks; the rest follows as far behind
        on = {k: v + 24 for k, v in on.items()}
    elif late == "advice:educational_psychology":
        on |= {"late_advice": 65, "plan": 66, "draft": 76, "final": 96}
    elif late == "final_plan":
        on["final"] = 145
    day = {k: received + timedelta(v) for k, v in on.items()}
    decide: dict[str, Any] = {"decision": "assess", "decided_on": str(day["decide"])}
    if refuse:
        reason = "needs_met_from_available_provision"
        refused = {**decide, "decision": "refuse", "reason": reason}
        return [(day["decide"], "assessment-decision", refused)], late
    steps: list[Step] = [
        (day["decide"], "assessment-decision", decide),
        (day["ask"], "advice-requests", {"kinds": list(ADVICE), "requested_on": str(day["ask"])}),
    ]
    for kind in ADVICE:
        received_on = day["late_advice"] if late == f"advice:{kind}" else day["receive"]
        steps.append((received_on, f"advice-requests/{kind}/received",
                      {"received_on": str(received_on)}))  # fmt: skip
    if not_issue:
        body = {"decision": "not_issue", "decided_on": str(day["plan"]),
                "reason": "needs_met_by_sen_support"}  # fmt: skip
        return [*steps, (day["plan"], "plan-decision", body)], late
    return [
        *steps,
        (day["plan"], "plan-decision", {"decision": "issue", "decided_on": str(day["plan"])}),
        (day["draft"], "draft-plan", {"issued_on": str(day["draft"])}),
        (day["final"], "final-plan", {"issued_on": str(day["final"]),
                                      "named_school_urn": f"{107000 + n % 900}"}),
    ], late  # fmt: skip


def next_setting(n: int, transfer: PhaseTransfer) -> dict[str, str]:
    """The next school or college the n-th child's amended plan names: a secondary school's
    URN (never the setting named now, ``plans_csv``'s 107xxx), a college by its type."""
    if transfer.kind == "secondary_to_post_16":
        return {"setting_type": "further_education_college"}
    return {"urn": f"{140000 + n % 900}"}


def review_steps(
    plan: YearPlan,
    n: int,
    opened: date,
    due: date,
    late: str | None,
    transfer: PhaseTransfer | None = None,
) -> list[Step]:
    """A review's steps from the day after the scheduler opened it: meeting arranged and
    invitations sent at once, the meeting 25 days before its limit (2 weeks after the
    invitations at least), the report in 3 days, the decision in 7; "amend": proposals in 10,
    the amended plan in 30 (naming the next setting where it is the ``transfer``'s). ``late``:
    the one limit this review misses."""
    first = opened + timedelta(1)
    meeting = max(due - timedelta(25), first + timedelta(14))
    if late == "review_meeting":
        meeting = due + timedelta(5)
    invited = meeting - timedelta(5) if late == "review_invitations" else first
    report = 16 if late == "review_report" else 3
    decided = {"review_decision": 30, "review_report": 17}.get(late or "", 7)
    amend = late == "amended_plan" or (
        late is None and dice(plan, f"amend{due}", n).random() < plan.amend_share
    )
    base = "annual-review"
    steps: list[Step] = [
        (first, f"{base}/meeting", {"meeting_on": str(meeting)}),
        (invited, f"{base}/invitations", {"sent_on": str(invited), "invitees": EVERYONE}),
        (meeting, f"{base}/meeting-held", {"held_on": str(meeting)}),
    ]  # fmt: skip
    sent = meeting + timedelta(report)
    steps.append((sent, f"{base}/report", {"sent_on": str(sent)}))
    day = meeting + timedelta(decided)
    body = {"decision": "amend" if amend else "keep", "decided_on": str(day)}
    steps.append((day, f"{base}/decision", body))
    if amend:
        proposals, final = (
            meeting + timedelta(10),
            meeting + timedelta(70 if late == "amended_plan" else 30),
        )
        steps.append((proposals, f"{base}/amendments/proposals", {"sent_on": str(proposals)}))
        issued: dict[str, Any] = {"issued_on": str(final)}
        if transfer is not None and applies_to(transfer, final):
            issued["next_setting"] = next_setting(n, transfer)
        steps.append((final, f"{base}/amendments/final", issued))
    return steps


def late_transfer(plan: YearPlan, n: int, transfer: PhaseTransfer) -> bool:
    """Whether the n-th child's transfer is late on purpose: only one due 14 February (its
    amended plan 5 days after still meets the review's own limits, warned at none)."""
    late = dice(plan, "transfer", n).random() < plan.late_share
    return late and transfer.kind != "secondary_to_post_16"


def transfer_steps(n: int, opened: date, transfer: PhaseTransfer, late: bool) -> list[Step]:
    """A transfer's review, opened by the transfer scheduler, as fast as the law lets it:
    invitations at once, the meeting 2 weeks after them, the report the next day, the
    decision ("amend": the child moves) and the proposals the day after, the amended plan
    naming the next setting when the family's 15 days for comments end (from a first day's
    opening: 2 February, before 14 February's at-risk warning); late: 5 days after the
    transfer's last legal day, the proposals 15 days before it."""
    first = opened + timedelta(1)
    meeting = first + timedelta(14)
    decided = meeting + timedelta(2)
    final = transfer.due_on + timedelta(5) if late else decided + timedelta(15)
    proposals = final - timedelta(15)
    base = "annual-review"
    return [
        (first, f"{base}/meeting", {"meeting_on": str(meeting)}),
        (first, f"{base}/invitations", {"sent_on": str(first), "invitees": EVERYONE}),
        (meeting, f"{base}/meeting-held", {"held_on": str(meeting)}),
        (meeting + timedelta(1), f"{base}/report", {"sent_on": str(meeting + timedelta(1))}),
        (decided, f"{base}/decision", {"decision": "amend", "decided_on": str(decided)}),
        (proposals, f"{base}/amendments/proposals", {"sent_on": str(proposals)}),
        (final, f"{base}/amendments/final",
         {"issued_on": str(final), "next_setting": next_setting(n, transfer)}),
    ]  # fmt: skip


def late_review(plan: YearPlan, n: int, due: date) -> str | None:
    """The limit the n-th plan's first review misses, if it is one of the late: only a review
    whose every step falls inside the year, with time to warn before each limit."""
    rng = dice(plan, "review", n)
    kind = REVIEW_LATE[rng.randrange(len(REVIEW_LATE))]
    inside = plan.first_day + timedelta(80) <= due <= plan.first_day + timedelta(250)
    return kind if inside and rng.random() < plan.late_share else None
