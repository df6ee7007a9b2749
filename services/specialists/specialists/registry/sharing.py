"""A team shared by several councils serves each council only once that council has agreed.
Pure.

The council commissioning an entry names the councils it is to serve. A manager's create,
change or import agrees there and then for each named council the manager acts for; every
other named council waits for its own managers (``POST /v1/registry/{id}/agreements``), and
until it agrees matching and the waitlist never hand its children to the entry. Otherwise one
council's manager could put a team into another council's matching (issue 17).

An agreement stands while the council stays named and the entry keeps its role: a council
named again after it left, or an entry turned into another service (another role), is asked
again. A council leaving an entry needs nobody's agreement.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sharing:
    """The named councils an entry serves after a change, those still to agree, and the
    agreements the change makes and ends."""

    serves: tuple[str, ...]
    awaiting: tuple[str, ...]
    agreed_now: tuple[str, ...]
    """Named councils the manager making the change acts for: agreed by that manager."""
    ended: tuple[str, ...]
    """Agreements in force before the change that no longer stand."""


def share(
    named: Sequence[str],
    agreed: Collection[str],
    acting_for: Collection[str] | None,
    *,
    same_role: bool,
) -> Sharing:
    """Who an entry naming ``named`` serves when changed by a manager acting for
    ``acting_for`` (None: the service itself, for every council), given the councils that
    had agreed (``agreed``) and whether the entry keeps its role."""
    standing = {c for c in agreed if c in named} if same_role else set()
    agreed_now = [c for c in named if c not in standing and (acting_for is None or c in acting_for)]
    serving = standing | set(agreed_now)
    return Sharing(
        serves=tuple(c for c in named if c in serving),
        awaiting=tuple(c for c in named if c not in serving),
        agreed_now=tuple(agreed_now),
        ended=tuple(sorted(set(agreed) - standing)),
    )
