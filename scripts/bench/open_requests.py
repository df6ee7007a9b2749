"""Bringing in a council's open requests (issue #22): ``--requests`` (5,000) EHC needs
assessments under way, at every stage the import takes (received, assessing, advice received,
refused, to be issued, not to be issued, draft issued), as one CSV file posted by a signed-in
manager to ``POST /v1/live-plans/open-requests/import`` of the referrals service (in this
process, on a database of its own on the bench's PostgreSQL), timed; then the same file again
(every row unchanged). Figures printed, nothing asserted (the target is under a minute for
5,000). Everything it made is removed at the end.

    make bench-open-requests BENCH_OPEN_REQUESTS_ARGS="--requests 10000"
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
from datetime import date, timedelta

from scripts.bench.live_plans import LEEDS, NEEDS, import_twice, nhs_number
from scripts.bench.samples import FAMILY, GIVEN
from shared.dates import london_today

COLUMNS = ("case_id", "local_authority", "child_given_name", "child_family_name",
           "child_date_of_birth", "child_nhs_number", "child_postcode", "contact_name",
           "contact_email", "requested_by", "received_on", "needs", "assessment_decision",
           "assessment_decided_on", "refusal_reason", "advice_kinds", "advice_requested_on",
           "advice_received_on", "plan_decision", "plan_decided_on", "not_issue_reason",
           "draft_issued_on")  # fmt: skip
ADVICE = (
    "parent educational medical educational_psychology social_care"
    " preparing_for_adulthood"
)  # the last: from Year 9, asked for every child here
TEACHERS = {"HI": "teacher_of_the_deaf", "VI": "teacher_of_vision_impaired"}
STAGES = ("received", "assessing", "advice_received", "refused", "to_issue", "not_to_issue",
          "draft")  # fmt: skip
REQUESTERS = ("parent", "school", "young_person", "health", "social_care")


def steps(stage: str, today: date, shift: int) -> dict[str, str]:
    """The columns of the steps a request at ``stage`` has taken, each on its own day (the
    days moved back by ``shift``, so the requests' deadlines are spread)."""

    def day(ago: int) -> str:
        return str(today - timedelta(days=ago + shift))

    if stage == "received":
        return {"received_on": day(1)}
    if stage == "refused":
        return {"received_on": day(80), "assessment_decision": "refuse",
                "assessment_decided_on": day(45),
                "refusal_reason": "needs_met_from_available_provision"}  # fmt: skip
    taken = {"received_on": day(130), "assessment_decision": "assess",
             "assessment_decided_on": day(95), "advice_kinds": ADVICE,
             "advice_requested_on": day(90)}  # fmt: skip
    if stage == "assessing":
        return taken
    taken["advice_received_on"] = day(50)
    if stage == "to_issue":
        return taken | {"plan_decision": "issue", "plan_decided_on": day(30)}
    if stage == "not_to_issue":
        return taken | {"plan_decision": "not_issue", "plan_decided_on": day(30),
                        "not_issue_reason": "needs_met_by_sen_support"}  # fmt: skip
    if stage == "draft":
        return taken | {"plan_decision": "issue", "plan_decided_on": day(30),
                        "draft_issued_on": day(10)}  # fmt: skip
    return taken


def requests_csv(count: int, today: date) -> str:
    """``count`` requests, a seventh at each stage, received over the last few months."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(count):
        needs = [NEEDS[(i + k) % len(NEEDS)] for k in range(1 + i % 3)]
        taken = steps(STAGES[i % len(STAGES)], today, i % 9)
        if "advice_kinds" in taken:  # the advice the law requires for the child's needs
            taken["advice_kinds"] += "".join(f" {TEACHERS[n]}" for n in needs if n in TEACHERS)
        row = {
            "case_id": f"LCC-REQ-{i:06d}", "local_authority": LEEDS,
            "child_given_name": GIVEN[i % len(GIVEN)],
            "child_family_name": FAMILY[i // len(GIVEN) % len(FAMILY)],
            "child_date_of_birth": str(date(today.year - 4 - i % 14, 1 + i % 12, 1 + i % 28)),
            "child_nhs_number": nhs_number(i), "child_postcode": f"LS{6 + i % 4} {i % 10}AB",
            "contact_name": "A Parent", "contact_email": f"parent{i}@example.org",
            "requested_by": REQUESTERS[i % len(REQUESTERS)],
            "needs": " ".join(needs),
        } | taken  # fmt: skip
        writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue()


async def run(count: int) -> None:
    text = requests_csv(count, london_today())
    print(f"{count} open requests ({len(STAGES)} stages), {len(text.encode()) / 1e6:.1f} MB")
    await import_twice("/v1/live-plans/open-requests/import", text, count, "requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    os.environ.setdefault("SEND_ENVIRONMENT", "development")  # a local identity provider
    asyncio.run(run(parser.parse_args().requests))


if __name__ == "__main__":
    main()
