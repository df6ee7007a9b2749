"""The registry's CSV (read, problems by line and field, written back the same) and the
capacity report's arithmetic. Pure."""

from __future__ import annotations

import csv
import io
from importlib.resources import files
from uuid import uuid4

import pytest
from specialists import report
from specialists.registry import csv_format
from specialists.registry.entry import EntryView

SEED = (files("specialists") / "seed_registry.csv").read_text(encoding="utf-8")


def test_the_seed_reads_without_a_problem_and_writes_back_byte_for_byte() -> None:
    rows, problems = csv_format.parse(SEED)
    assert problems == []
    assert {e.local_authority for _, e in rows} == {"E08000035", "E08000032"}
    views = [EntryView(**e.model_dump(), allocated=0) for _, e in rows]
    assert csv_format.write(views) == SEED


def test_every_bad_cell_is_named_by_line_and_field() -> None:
    header = ",".join(c for c in csv_format.COLUMNS if c not in csv_format.OPTIONAL)  # older
    good = f"{uuid4()},team,,A team,physiotherapy,E08000035,,LS6,,en,10,,true"
    text = "\n".join(
        [
            header,
            good,
            ",team,,,physiotherapy,E08000035,,LS6,,en,10,,true",  # no name
            ",team,,B,physiotherapy,E07000001,,LS6,,EN,10,,true",  # a district council; EN
            ",team,,C,physiotherapy,E08000035,,LS6,123,en,10,,true,extra",
            good.replace("A team", "Same id"),
        ]
    )
    _, problems = csv_format.parse(text)
    assert [(p.line, p.field) for p in problems] == [
        (3, "display_name"),
        (4, "local_authority"),
        (4, "languages.0"),
        (5, "row"),
        (6, "id"),
    ]
    assert problems[-1].why == "repeats line 2"


def test_a_file_without_the_email_column_reads_and_a_bad_address_is_named() -> None:
    older = ",".join(c for c in csv_format.COLUMNS if c != "email")
    row = ",team,,A team,physiotherapy,E08000035,,LS6,,en,10,,true"
    [(_, entry)], problems = csv_format.parse(f"{older}\n{row}\n")
    assert problems == []
    assert entry.email is None

    header = ",".join(csv_format.COLUMNS)
    rows, problems = csv_format.parse(
        f"{header}\n{row},team@leeds.example.org\n{row},not an address\n"
    )
    assert rows[0][1].email == "team@leeds.example.org"
    assert [(p.line, p.field) for p in problems] == [(3, "email")]


FORMULAS = ["=1+1", "+44 113 222 3333", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("x")']
QUOTED = ["'quoted", "'=kept", "''twice", "'-"]


@pytest.mark.parametrize("value", [*FORMULAS, *QUOTED, "Mon-Fri", "plain"])
def test_a_cell_is_restored_exactly_from_what_the_export_writes(value: str) -> None:
    written = csv_format.neutralised(value)
    assert not written.startswith(csv_format.FORMULA_STARTS)  # never a formula
    assert csv_format.restored(written) == value


def test_text_cells_that_would_run_as_formulas_are_exported_as_text_and_read_back() -> None:
    rows, _ = csv_format.parse(SEED)
    first = rows[0][1]
    names = [*FORMULAS, *QUOTED]
    views = [
        EntryView(
            **first.model_dump(exclude={"id", "display_name", "working_pattern"}),
            id=uuid4(),
            display_name=name,
            working_pattern=name,
            allocated=0,
        )
        for name in names
    ]
    text = csv_format.write(views)
    cells = list(csv.DictReader(io.StringIO(text)))
    assert [c["display_name"] for c in cells] == [f"'{n}" for n in names]
    assert [c["working_pattern"] for c in cells] == [f"'{n}" for n in names]
    again, problems = csv_format.parse(text)
    assert problems == []
    assert [(e.display_name, e.working_pattern) for _, e in again] == [(n, n) for n in names]


def test_a_header_that_is_not_the_format_is_one_problem() -> None:
    _, problems = csv_format.parse("id,name\n1,x\n")
    assert [(p.line, p.field) for p in problems] == [(1, "header")]


def test_capacity_report_arithmetic() -> None:
    built = report.build(
        "E08000035",
        entries=[("slt", ["LS6", "LS7"], 10), ("slt", ["LS6"], 5)],
        allocations=[("slt", "LS6", 2, 1.0), ("slt", "LS6", 1, 3.0), ("slt", "LS7", 0, 8.0)],
        waiting=[("slt", "LS7", "teams_full", 2, 4.5), ("physio", "LS6", "no_team", 1, 2.0)],
    )
    rows = {(r.role, r.district): r for r in built.rows}
    assert [(r.role, r.district) for r in built.rows] == [
        ("physio", "all"), ("physio", "LS6"), ("slt", "all"), ("slt", "LS6"), ("slt", "LS7"),
    ]  # fmt: skip
    ls6, ls7, total = rows["slt", "LS6"], rows["slt", "LS7"], rows["slt", "all"]
    assert (ls6.capacity, ls6.allocated, ls6.median_wait_days) == (15, 3, 2.0)
    assert not ls6.demand_exceeds_supply
    assert (ls7.capacity, ls7.waiting, ls7.longest_wait_days) == (10, 1, 4.5)
    assert ls7.demand_exceeds_supply
    assert (total.capacity, total.allocated, total.median_wait_days) == (15, 3, 3.0)
    assert rows["physio", "LS6"].no_team == 1
    assert built.gaps == ["physio"]
    lines = report.as_csv(built).splitlines()
    assert lines[0].startswith("local_authority,role,district,capacity,allocated,waiting")
    assert lines[4] == "E08000035,slt,LS6,15,3,0,0,,2.0,False"
