"""How far apart two postcode districts are, in districts crossed. Pure.

No openly licensed table of postcode-district centroids ships with the project, so closeness
beyond the child's own district is measured on a table of adjoining districts: hand-compiled
for the districts of the seeded councils (Leeds E08000035, Bradford E08000032) from the
published postcode district boundaries, to be replaced by real distances between centroids
(e.g. ONS Postcode Directory, Open Government Licence) when the project carries that data.
A district missing from the table is simply "elsewhere in the council".
"""

from __future__ import annotations

from collections import deque

ADJOINING: dict[str, frozenset[str]] = {
    district: frozenset(neighbours.split())
    for district, neighbours in {
        # Leeds
        "LS1": "LS2 LS3 LS9 LS10 LS11",
        "LS2": "LS1 LS3 LS6 LS7 LS8 LS9",
        "LS3": "LS1 LS2 LS4 LS6 LS12",
        "LS4": "LS3 LS5 LS6 LS12 LS13",
        "LS5": "LS4 LS6 LS13 LS16 LS18",
        "LS6": "LS2 LS3 LS4 LS5 LS7 LS16",
        "LS7": "LS2 LS6 LS8 LS16 LS17",
        "LS8": "LS2 LS7 LS9 LS14 LS17",
        "LS9": "LS1 LS2 LS8 LS10 LS14 LS15",
        "LS10": "LS1 LS9 LS11 LS26",
        "LS11": "LS1 LS10 LS12 LS27",
        "LS12": "LS3 LS4 LS11 LS13 LS27",
        "LS13": "LS4 LS5 LS12 LS18 LS28",
        "LS14": "LS8 LS9 LS15 LS17",
        "LS15": "LS9 LS14 LS25 LS26",
        "LS16": "LS5 LS6 LS7 LS17 LS18",
        "LS17": "LS7 LS8 LS14 LS16",
        "LS18": "LS5 LS13 LS16 LS19",
        "LS19": "LS18 LS20 BD10",
        "LS25": "LS15 LS26",
        "LS26": "LS10 LS15 LS25",
        "LS27": "LS11 LS12",
        "LS28": "LS13 BD2 BD3 BD10",
        # Bradford
        "BD1": "BD2 BD3 BD4 BD5 BD7 BD8",
        "BD2": "BD1 BD3 BD10 BD18 LS28",
        "BD3": "BD1 BD2 BD4 LS28",
        "BD4": "BD1 BD3 BD5 BD6",
        "BD5": "BD1 BD4 BD6 BD7",
        "BD6": "BD4 BD5 BD7 BD12",
        "BD7": "BD1 BD5 BD6 BD8 BD13",
        "BD8": "BD1 BD7 BD9 BD13",
        "BD9": "BD8 BD15 BD18",
        "BD10": "BD2 BD18 LS19 LS28",
        "BD12": "BD6",
        "BD13": "BD7 BD8 BD15",
        "BD15": "BD9 BD13",
        "BD18": "BD2 BD9 BD10",
    }.items()
}


def districts_apart(start: str, served: tuple[str, ...], limit: int = 4) -> int | None:
    """The fewest borders crossed from ``start`` to any of ``served`` (0: the same district),
    through adjoining districts; None beyond ``limit`` or when not in the table."""
    if start in served:
        return 0
    targets = set(served)
    seen = {start}
    queue = deque([(start, 0)])
    while queue:
        district, steps = queue.popleft()
        if steps >= limit:
            continue
        for neighbour in ADJOINING.get(district, frozenset()):
            if neighbour in targets:
                return steps + 1
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append((neighbour, steps + 1))
    return None
