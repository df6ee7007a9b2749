"""SQL for what is known about each document (its bytes are in a ``DocumentStore``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from referrals.documents.content import Checked
from shared.db import Connection

COLUMNS = """id, referral_id, local_authority, kind, advice_kind, filename, media_type,
    size_bytes, sha256, uploaded_by, uploaded_at, erased_at, family_may_see"""


@dataclass(frozen=True)
class NewDocument:
    id: UUID
    referral_id: UUID | None
    """None: evidence of a request on the public form, not sent yet (``public.evidence``)."""
    local_authority: str
    kind: str
    filename: str
    checked: Checked
    uploaded_by: str
    advice_kind: str | None = None
    letter_kind: str | None = None
    """A decision's letter to the family: the decision (``referrals.notices``)."""
    family_may_see: bool | None = None
    """Whether the family may read it through their link; None: a letter is theirs, any
    other document is not (``for_family``)."""

    @property
    def for_family(self) -> bool:
        return self.kind == "letter" if self.family_may_see is None else self.family_may_see


async def add(conn: Connection, document: NewDocument) -> datetime | None:
    """Record ``document``; when it was uploaded, or None when the same file (by its hash) is
    already the referral's document of that kind (a retried upload)."""
    uploaded_at: datetime | None = await conn.fetchval(
        """INSERT INTO documents (id, referral_id, local_authority, kind, advice_kind, filename,
               media_type, size_bytes, sha256, uploaded_by, letter_kind, family_may_see)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (referral_id, kind, sha256) WHERE erased_at IS NULL DO NOTHING
           RETURNING uploaded_at""",
        document.id,
        document.referral_id,
        document.local_authority,
        document.kind,
        document.advice_kind,
        document.filename,
        document.checked.file_type.media_type,
        document.checked.size,
        document.checked.sha256,
        document.uploaded_by,
        document.letter_kind,
        document.for_family,
    )
    return uploaded_at


async def same_file(conn: Connection, referral_id: UUID, kind: str, sha256: str) -> Any:
    """The referral's document of ``kind`` with these bytes, if there is one."""
    return await conn.fetchrow(
        f"""SELECT {COLUMNS} FROM documents
            WHERE referral_id = $1 AND kind = $2 AND sha256 = $3 AND erased_at IS NULL""",
        referral_id,
        kind,
        sha256,
    )


async def family_letters(conn: Connection, referral_id: UUID) -> list[asyncpg.Record]:
    """The referral's decision letters (never an upload), oldest first, erased ones left out."""
    return await conn.fetch(
        f"""SELECT {COLUMNS}, letter_kind FROM documents
            WHERE referral_id = $1 AND letter_kind IS NOT NULL AND erased_at IS NULL
            ORDER BY uploaded_at, id""",
        referral_id,
    )


async def of_referral(conn: Connection, referral_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM documents WHERE referral_id = $1 ORDER BY uploaded_at, id",
        referral_id,
    )


async def for_the_family(conn: Connection, referral_id: UUID) -> list[asyncpg.Record]:
    """The referral's documents the family may see, oldest first (erased ones left out)."""
    return await conn.fetch(
        f"""SELECT {COLUMNS} FROM documents
            WHERE referral_id = $1 AND family_may_see AND erased_at IS NULL
            ORDER BY uploaded_at, id""",
        referral_id,
    )


async def one(conn: Connection, referral_id: UUID, document_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM documents WHERE referral_id = $1 AND id = $2",
        referral_id,
        document_id,
    )


async def erase(conn: Connection, referral_ids: list[UUID]) -> int:
    """The referrals' documents are erased (their names now, their bytes after the commit:
    ``to_remove``); returns how many."""
    result = await conn.execute(
        """UPDATE documents SET filename = 'erased', erased_at = now()
           WHERE referral_id = ANY($1) AND erased_at IS NULL""",
        referral_ids,
    )
    return int(result.split()[-1])


async def to_remove(conn: Connection, limit: int = 500) -> list[asyncpg.Record]:
    """Erased documents whose bytes are still in the store."""
    return await conn.fetch(
        """SELECT id, referral_id, local_authority FROM documents
           WHERE erased_at IS NOT NULL AND content_removed_at IS NULL
           ORDER BY erased_at LIMIT $1""",
        limit,
    )


async def removed(conn: Connection, document_id: UUID) -> None:
    await conn.execute("UPDATE documents SET content_removed_at = now() WHERE id = $1", document_id)
