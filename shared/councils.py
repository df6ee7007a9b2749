"""Which councils a database session acts for: the value row-level security reads.

Every service table with children's data is bound by a policy (``shared/sql/0002``) that shows
a row only to a session acting for its council. Requests act for the caller's councils (from
the token), event handlers for the event's council, a service's own background work for all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from shared.db import Connection

SETTING = "send.local_authorities"
ALL = "*"
"""The service itself, in its own background work (sending queued messages, retention)."""

_COUNCIL = re.compile(r"^E(0[6-9]|10)[0-9]{6}$")


async def act_for(conn: Connection, councils: Iterable[str] | str, *, local: bool = True) -> None:
    """Act for ``councils`` (ONS codes, or ``ALL``): until the transaction ends when ``local``,
    else for the session (a pooled connection is reset when it goes back to the pool)."""
    if councils == ALL:
        value = ALL
    else:
        codes = [councils] if isinstance(councils, str) else list(councils)
        bad = [c for c in codes if not _COUNCIL.match(c)]
        if bad:
            raise ValueError(f"not council ONS codes: {bad}")
        value = ",".join(codes)
    await conn.execute("SELECT set_config($1, $2, $3)", SETTING, value, local)
