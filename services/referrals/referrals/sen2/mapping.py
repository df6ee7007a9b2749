"""The SEN2 return's structure: every element the platform writes, where its value comes
from, and the fields it cannot fill yet. The ONE place to align with the year's DfE technical
specification (which cannot be fetched here): rename an element, move it, or add one in the
tables below; docs/sen2.md describes each field.

The XML follows the collection's shape (a header, then a ``Person`` per child with its
``Requests``, each with its ``Assessment`` and ``Plan``); the CSV has a row per request (or
per plan brought in without a request) for checking by eye.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar
from xml.etree import ElementTree as ET

from referrals.sen2.record import Person, Plan, Request

Value = str | int | bool | date | None
T = TypeVar("T")

PERSON: tuple[tuple[str, Callable[[Person], Value]], ...] = (
    ("UPN", lambda p: p.upn),
    ("Surname", lambda p: p.family_name),
    ("Forename", lambda p: p.given_name),
    ("PersonBirthDate", lambda p: p.date_of_birth),
    ("Postcode", lambda p: p.postcode),
)
"""Identity. Not filled: ``Sex`` (not recorded), ``ULN`` (not recorded), ``UPNunknown`` (the
reason a UPN is missing: not recorded)."""

REQUEST: tuple[tuple[str, Callable[[Request], Value]], ...] = (
    ("ReceivedDate", lambda r: r.received_on),
    ("RequestSource", lambda r: r.requested_by),
    ("RYA", lambda r: r.requested_by == "young_person"),
    ("RequestOutcome", lambda r: _outcome(r)),
    ("RequestOutcomeDate", lambda r: r.assessment_decided_on),
    ("Mediation", lambda r: r.mediation),
    ("Tribunal", lambda r: None),
    ("Exceptions", lambda r: r.with_exception),
)
"""Each request. Not filled: ``Tribunal`` (appeals are not recorded: always empty). A request
transferred in has none here: the transferred plan carries ``TransferLA`` (``PLAN``)."""

ASSESSMENT: tuple[tuple[str, Callable[[Request], Value]], ...] = (
    ("AssessmentOutcome", lambda r: _assessment_outcome(r)),
    ("AssessmentOutcomeDate", lambda r: r.plan_decided_on),
)

PLAN: tuple[tuple[str, Callable[[Plan], Value]], ...] = (
    ("StartDate", lambda p: p.start_on),
    ("CeaseDate", lambda p: p.ceased_on),
    ("CeaseReason", lambda p: p.cease_reason),
    ("TransferLA", lambda p: p.transferred_from),
)
"""The plan. ``CeaseDate`` is the day the plan ceased (the time to appeal the decision to cease
passed with no appeal, or the appeal was dismissed: s45(4)), not the day of a decision; empty
while the plan is maintained. ``CeaseReason`` is the platform's code for the ground
(``no_longer_necessary``, ``no_longer_responsible``, ``higher_education``, ``left_education``):
map it here to the year's DfE code list. ``TransferLA``: the old council of a plan transferred
in (Reg 15), as its ONS code (the specification may ask for the DfE's 3-digit LA number: map it
here)."""

NEED: tuple[tuple[str, Callable[[tuple[int, str]], Value]], ...] = (
    ("SENtype", lambda n: n[1]),
    ("SENtypeRank", lambda n: n[0]),
)

PLACEMENT: tuple[tuple[str, Callable[[Plan], Value]], ...] = (
    ("URN", lambda p: p.setting_urn),
    ("UKPRN", lambda p: p.setting_ukprn),
    ("PlacementRank", lambda p: 1),
)
"""The named setting (rank 1: the platform records one). Not filled: ``SENSetting`` (type of
setting), ``SENUnitIndicator`` and ``ResourcedProvisionIndicator``, ``EntryDate`` and
``LeavingDate``."""

REVIEW: tuple[tuple[str, Callable[[tuple[date | None, str, date]], Value]], ...] = (
    ("ReviewMeetingDate", lambda v: v[0]),
    ("ReviewOutcome", lambda v: v[1]),
    ("ReviewDecisionDate", lambda v: v[2]),
)

CSV_COLUMNS: tuple[str, ...] = (
    "child_id",
    "referral_id",
    *(name for name, _ in PERSON),
    *(name for name, _ in REQUEST),
    *(name for name, _ in ASSESSMENT),
    *(name for name, _ in PLAN),
    "SENtypes",
    *(name for name, _ in PLACEMENT if name != "PlacementRank"),
    "ReviewDates",
    "problems",
)


def _outcome(r: Request) -> str | None:
    return {"assess": "A", "refuse": "R"}.get(r.assessment_decision or "")


def _assessment_outcome(r: Request) -> str | None:
    return {"issue": "Y", "not_issue": "N"}.get(r.plan_decision or "")


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value.isoformat() if isinstance(value, date) else str(value)


def _fill(parent: ET.Element, fields: Sequence[tuple[str, Callable[[T], Value]]], of: T) -> None:
    for name, value in fields:
        ET.SubElement(parent, name).text = _text(value(of))


def as_xml(people: Sequence[Person], local_authority: str, census_date: date) -> bytes:
    """The return in the collection's structure, UTF-8 with its declaration."""
    root = ET.Element("Message")
    header = ET.SubElement(root, "Header")
    details = ET.SubElement(header, "CollectionDetails")
    ET.SubElement(details, "Collection").text = "SEN2"
    ET.SubElement(details, "Year").text = str(census_date.year)
    ET.SubElement(details, "ReferenceDate").text = census_date.isoformat()
    source = ET.SubElement(header, "Source")
    # The council's ONS code: the DfE's 3-digit LA number is not held (see docs/sen2.md).
    ET.SubElement(source, "LEA").text = local_authority
    persons = ET.SubElement(root, "Persons")
    for person in people:
        element = ET.SubElement(persons, "Person")
        _fill(element, PERSON, person)
        requests = ET.SubElement(element, "Requests")
        for request in person.requests:
            _request_xml(ET.SubElement(requests, "Request"), request, person)
        if not person.requests and person.plan is not None:  # a plan brought in
            _plan_xml(ET.SubElement(ET.SubElement(requests, "Request"), "Plan"), person.plan)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _request_xml(element: ET.Element, request: Request, person: Person) -> None:
    _fill(element, REQUEST, request)
    if request.assessment_decision == "assess":
        _fill(ET.SubElement(element, "Assessment"), ASSESSMENT, request)
    plan = person.plan
    if plan is not None and not plan.imported and plan.start_on == request.final_issued_on:
        _plan_xml(ET.SubElement(element, "Plan"), plan)


def _plan_xml(element: ET.Element, plan: Plan) -> None:
    _fill(element, PLAN, plan)
    needs = ET.SubElement(element, "SENneeds")
    for ranked in enumerate(plan.needs, start=1):
        _fill(ET.SubElement(needs, "SENneed"), NEED, ranked)
    _fill(ET.SubElement(ET.SubElement(element, "Placements"), "Placement"), PLACEMENT, plan)
    reviews = ET.SubElement(element, "Reviews")
    for review in plan.reviews:
        row = (review.meeting_on, review.decision, review.decided_on)
        _fill(ET.SubElement(reviews, "Review"), REVIEW, row)


def as_csv(people: Sequence[Person]) -> str:
    """A row per request (or per plan brought in), each with the child's problems."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for person in people:
        base = {name: _text(value(person)) for name, value in PERSON}
        base["child_id"], base["referral_id"] = str(person.child_id), str(person.referral_id)
        base["problems"] = "; ".join(f"{f}: {why}" for f, why in person.problems)
        plan = person.plan
        if plan is not None:
            base |= {name: _text(value(plan)) for name, value in PLAN}
            base |= {name: _text(value(plan)) for name, value in PLACEMENT if name in CSV_COLUMNS}
            base["SENtypes"] = " ".join(plan.needs)
            base["ReviewDates"] = " ".join(_text(v.decided_on) for v in plan.reviews)
        for request in person.requests or (None,):
            row = dict(base)
            if request is not None:
                row["referral_id"] = str(request.referral_id)
                row |= {name: _text(value(request)) for name, value in REQUEST}
                row |= {name: _text(value(request)) for name, value in ASSESSMENT}
            writer.writerow(row)
    return out.getvalue()
