"""Idempotency-Key on POST: a retried request gets the first answer and creates nothing; the
same key with another body is refused. Keys are per caller (the token's subject).

The key is claimed with an INSERT at the start of the transaction that does the work. A second
request with the same key, arriving while the first is still working, waits on that row's
unique index until the first commits (then it reads the first answer) or rolls back (then it
does the work itself), so concurrent retries never create twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header

from shared.db import Connection

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID, say): a retry with the same key gets the first "
        "answer and creates nothing; the same key with a different body is refused (422)",
    ),
]


class KeyReused(Exception):
    """The key was used before with another request."""


@dataclass(frozen=True)
class FirstAnswer:
    status_code: int
    body: Any


def fingerprint(body: Any) -> str:
    """The request as compared between retries (its validated, normalised JSON)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


async def claim(
    conn: Connection, caller: str, key: str, local_authority: str, request_hash: str
) -> FirstAnswer | None:
    """Claim ``key`` for this request (None: go ahead), or the answer it first had."""
    claimed = await conn.fetchval(
        """INSERT INTO idempotency_keys (caller, key, local_authority, request_hash)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true""",
        caller,
        key,
        local_authority,
        request_hash,
    )
    if claimed:
        return None
    first = await conn.fetchrow(
        """SELECT request_hash, status_code, response FROM idempotency_keys
           WHERE caller = $1 AND key = $2""",
        caller,
        key,
    )
    if first is None or first["request_hash"] != request_hash or first["status_code"] is None:
        raise KeyReused("Idempotency-Key: already used with a different request")
    return FirstAnswer(first["status_code"], json.loads(first["response"]))


async def answer(conn: Connection, caller: str, key: str, status_code: int, body: Any) -> None:
    """Keep the answer for retries (in the transaction that did the work)."""
    await conn.execute(
        """UPDATE idempotency_keys SET status_code = $3, response = $4::jsonb
           WHERE caller = $1 AND key = $2""",
        caller,
        key,
        status_code,
        json.dumps(body, default=str),
    )


async def forget_older_than(conn: Connection, hours: float) -> int:
    """Keys are kept this long: a client retries within minutes, not days."""
    result = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
        hours * 3600,
    )
    return int(result.split()[-1])
