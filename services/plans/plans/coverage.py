"""Which SEN2 codes, areas and phases the catalogue in force covers, and how many standards
serve each. Pure.

    python -m plans.coverage            # the national catalogue's tables, in Markdown
    python -m plans.coverage E08000035  # with that council's layer over it
"""

from __future__ import annotations

import sys

from pydantic import BaseModel

from plans.standards import PHASES, Catalogue, in_force, newest
from shared.events import Phase, Sen2Need


class NeedCoverage(BaseModel):
    code: Sen2Need
    area: str
    standards: list[str]
    by_phase: dict[Phase, int]


def coverage(catalogue: Catalogue) -> list[NeedCoverage]:
    """One row per SEN2 code, in the DfE's order: the standards serving it, per phase."""
    rows = []
    for code in Sen2Need:
        serving = [s for s in catalogue.standards if code in s.needs]
        rows.append(
            NeedCoverage(
                code=code,
                area=catalogue.needs[code].area,
                standards=[s.id for s in serving],
                by_phase={p: sum(p in s.phases for s in serving) for p in PHASES},
            )
        )
    return rows


def markdown(catalogue: Catalogue) -> str:
    """The coverage as two Markdown tables: by area, then by code and phase."""
    rows = coverage(catalogue)
    areas: dict[str, list[NeedCoverage]] = {}
    for row in rows:
        areas.setdefault(row.area, []).append(row)
    lines = [
        f"Catalogue in force: {', '.join(catalogue.versions)}",
        "",
        "| area of need | SEN2 codes | standards |",
        "|---|---|---|",
    ]
    for area, mine in areas.items():
        ids = {s for row in mine for s in row.standards}
        lines.append(f"| {area} | {', '.join(r.code for r in mine)} | {len(ids)} |")
    lines += ["", "| code | standards | " + " | ".join(PHASES) + " |"]
    lines.append("|---|---|" + "---|" * len(PHASES))
    for row in rows:
        phases = " | ".join(str(row.by_phase[p]) for p in PHASES)
        lines.append(f"| {row.code} | {len(row.standards)} | {phases} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    from plans.catalogue_store import shipped  # files, not the database: no I/O beyond them

    versions = [v for v, _ in shipped()]
    national = newest(versions, "national")
    assert national is not None, "no national catalogue shipped"
    council = newest(versions, sys.argv[1]) if len(sys.argv) > 1 else None
    print(markdown(in_force(national, council)), end="")


if __name__ == "__main__":
    main()
