"""Every route, handler and job reaches its app's state through the typed state
(``shared.state``, each service's ``state_of``), never Starlette's untyped ``app.state`` bag:
mypy --strict then sees what each reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNTYPED = re.compile(r"\bapp\.state\.(?!service\b)\w+|\.app\.state\b")


def test_no_code_reads_the_untyped_app_state() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("services", "shared", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "shared" / "state.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if UNTYPED.search(line)
    ]
    assert found == []
