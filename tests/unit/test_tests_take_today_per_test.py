"""The integration and end-to-end tests take today per test, and London's: never once when their
module is imported. The services read the clock at each request (``shared.dates.london_today``),
so a module's ``TODAY`` taken at import is yesterday once a run crosses midnight in London, and
``date.today()`` (the machine's calendar, UTC) is yesterday for an hour every summer night."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
# The tests that run the services, and the helpers beside them that they import (tests/*.py).
# The unit tests are not here: they hand fixed days to pure functions.
CHECKED = [TESTS / "integration", TESTS / "e2e"]

# ``london_today()``, ``date.today()``, ``datetime.now()``, ``datetime.today()``,
# ``datetime.utcnow()`` (and the same through ``datetime.`` or ``dates.``).
CLOCK_METHODS = {"date": {"today"}, "datetime": {"now", "today", "utcnow"}}


def _owner(func: ast.Attribute) -> str:
    """``date`` for ``date.today``, ``datetime.date.today`` and ``dt.date.today``."""
    return ast.unparse(func.value).rpartition(".")[2]


def reads_the_clock(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "london_today"
    if isinstance(func, ast.Attribute):
        return func.attr == "london_today" or func.attr in CLOCK_METHODS.get(_owner(func), ())
    return False


def evaluated_at_import(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``node`` Python evaluates when the module is imported: everything but the
    bodies of functions and lambdas (their decorators and default arguments are evaluated where
    they are defined; class bodies run at import)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        arguments = node.args
        evaluated: list[ast.AST] = [*arguments.defaults]
        evaluated += [default for default in arguments.kw_defaults if default is not None]
        if not isinstance(node, ast.Lambda):
            evaluated += node.decorator_list
        for child in evaluated:
            yield from evaluated_at_import(child)
        return
    yield node
    for child in ast.iter_child_nodes(node):
        yield from evaluated_at_import(child)


def clock_reads_at_import(source: str, filename: str) -> list[tuple[int, str]]:
    """Where ``source`` reads the clock when it is imported: (line, call)."""
    return sorted(
        (node.lineno, ast.unparse(node))
        for node in evaluated_at_import(ast.parse(source, filename))
        if isinstance(node, ast.Call) and reads_the_clock(node)
    )


def machine_dates(source: str, filename: str) -> list[tuple[int, str]]:
    """Where ``source`` reads the machine's calendar (``date.today()``, ``datetime.today()``)
    rather than London's (``london_today()``), anywhere: (line, call)."""
    return sorted(
        (node.lineno, ast.unparse(node))
        for node in ast.walk(ast.parse(source, filename))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "today"
        and _owner(node.func) in ("date", "datetime")
    )


def modules() -> list[Path]:
    helpers = TESTS.glob("*.py")
    return sorted([*helpers, *(path for folder in CHECKED for path in folder.rglob("*.py"))])


def _found(check: Callable[[str, str], list[tuple[int, str]]]) -> list[str]:
    """``check``'s findings in every module checked, as file:line: call."""
    return [
        f"{path.relative_to(TESTS.parent)}:{line}: {call}"
        for path in modules()
        for line, call in check(path.read_text(), str(path))
    ]


def test_no_integration_or_end_to_end_module_reads_the_clock_when_imported() -> None:
    found = _found(clock_reads_at_import)
    assert not found, (
        "read today inside the test (the `today` fixture, or london_today() in the test), "
        "not when the module is imported:\n" + "\n".join(found)
    )


def test_no_integration_or_end_to_end_module_reads_the_machines_calendar() -> None:
    found = _found(machine_dates)
    assert not found, (
        "the services' today is London's: use the `today` fixture or london_today(), "
        "not the machine's date:\n" + "\n".join(found)
    )


def test_no_service_reads_the_machines_calendar() -> None:
    """The services' own code: a council's day is London's (``shared.dates.london_today``).
    The web service's caseload, referral, school, SEN2, transfers and reports pages and the
    referrals service's retention job read the machine's (UTC) day, a day behind the rest of
    the platform for an hour every summer night."""
    code = TESTS.parent
    found = [
        f"{path.relative_to(code)}:{line}: {call}"
        for folder in (code / "services", code / "shared")
        for path in sorted(folder.rglob("*.py"))
        for line, call in machine_dates(path.read_text(), str(path))
    ]
    assert not found, "a council's today is London's: use london_today():\n" + "\n".join(found)


def test_the_modules_are_found() -> None:
    names = {path.relative_to(TESTS).as_posix() for path in modules()}
    assert {
        "events.py",
        "integration/test_phase_transfers.py",
        "e2e/test_plan_lifecycle.py",
        "e2e/web/test_reports.py",
    } <= names


@pytest.mark.parametrize(
    "source",
    [
        "TODAY = london_today()",
        "YEAR = date.today().year - 1",
        "import datetime\nNOW = datetime.datetime.now()",
        "AT = datetime.now(UTC)",
        "DAY = dates.london_today()",
        "class Days:\n    today = london_today()",
        "async def told(on: date = london_today()) -> None: ...",
        "def told(*, on: date = date.today()) -> None: ...",
        "@pytest.mark.parametrize('day', [london_today()])\ndef test_day(day): ...",
        "if True:\n    TODAY = london_today()",
        "LATER = (lambda day=datetime.today(): day)",
    ],
)
def test_reading_the_clock_at_import_is_found(source: str) -> None:
    assert clock_reads_at_import(source, "example.py")


@pytest.mark.parametrize(
    "source",
    [
        "def test_day() -> None:\n    today = london_today()",
        "async def test_day() -> None:\n    assert date.today()",
        "def told(on: date | None = None) -> date:\n    return on or london_today()",
        "class Test:\n    def test_day(self) -> None:\n        london_today()",
        "FIXED = date(2027, 3, 1)",
        "later = lambda: london_today()",
    ],
)
def test_reading_the_clock_in_a_test_is_not_found(source: str) -> None:
    assert not clock_reads_at_import(source, "example.py")


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("def test_day() -> None:\n    assert date.today()", True),
        ("import datetime\nDAY = datetime.date.today()", True),
        ("def later() -> date:\n    return datetime.today().date()", True),
        ("def test_day(today: date) -> None:\n    assert today == london_today()", False),
        ("def stamp() -> datetime:\n    return datetime.now(UTC)", False),
    ],
)
def test_the_machines_calendar_is_found(source: str, found: bool) -> None:
    assert bool(machine_dates(source, "example.py")) is found
