"""Where documents' bytes are kept, behind one interface: PostgreSQL (a table of bytes in the
service's own database, so ``make run`` needs nothing more; the default) or S3-compatible object
storage (``referrals.documents.s3``), chosen by ``DOCUMENT_STORE`` (``referrals.documents.stores``).

What is known about a document (its referral, kind, type, hash, who sent it) is always in
PostgreSQL (``referrals.documents.repository``); a store holds only bytes, by document id and
council. Its calls are made outside any unit of work: bytes are put before the document's row
commits and removed after its erasure commits, so no transaction waits on a bucket.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import asyncpg

from shared.councils import act_for


@dataclass(frozen=True)
class StoredKey:
    """A document's bytes: its id and its council (row-level security, the bucket's folder)."""

    document_id: UUID
    local_authority: str


class ContentMissing(LookupError):
    """A document whose bytes are not in the store (removed, or never stored)."""


class StoreUnavailable(ConnectionError):
    """The store cannot be asked just now (a bucket unreachable, slow or failing): a 503 with
    ``Retry-After`` to the caller (``referrals.documents.stores``); a ``ConnectionError``, so a
    consumer or job classifies it as an outage and tries again. Its message is the document id
    and the client's error class, never an address or a credential."""


class DocumentStore(abc.ABC):
    """Documents' bytes by key. Every implementation passes ``tests/integration/
    test_document_stores.py``'s contract."""

    name: str

    @abc.abstractmethod
    async def put(self, key: StoredKey, content: bytes) -> None:
        """Keep ``content`` under ``key`` (again: the same bytes, no error)."""

    @abc.abstractmethod
    async def get(self, key: StoredKey) -> bytes:
        """The bytes under ``key``, or ``ContentMissing``."""

    @abc.abstractmethod
    async def remove(self, key: StoredKey) -> None:
        """Forget the bytes under ``key`` (none there: no error)."""


class Pooled(Protocol):
    """What holds the service's pool: its ``Database`` (routes), or its ``Work`` (the NHS
    partners' consumer, taking a partner's advice)."""

    @property
    def pool(self) -> Callable[[], asyncpg.Pool]: ...


class PostgresStore(DocumentStore):
    """Bytes in the service's own database (``document_contents``, 20 MB a row at most)."""

    name = "postgres"

    def __init__(self, database: Pooled) -> None:
        self.database = database

    async def put(self, key: StoredKey, content: bytes) -> None:
        async with self.database.pool().acquire() as conn, conn.transaction():
            await act_for(conn, [key.local_authority])
            await conn.execute(
                """INSERT INTO document_contents (document_id, local_authority, content)
                   VALUES ($1, $2, $3) ON CONFLICT (document_id) DO NOTHING""",
                key.document_id,
                key.local_authority,
                content,
            )

    async def get(self, key: StoredKey) -> bytes:
        async with self.database.pool().acquire() as conn, conn.transaction():
            await act_for(conn, [key.local_authority])
            content: bytes | None = await conn.fetchval(
                "SELECT content FROM document_contents WHERE document_id = $1", key.document_id
            )
        if content is None:
            raise ContentMissing(str(key.document_id))
        return content

    async def remove(self, key: StoredKey) -> None:
        async with self.database.pool().acquire() as conn, conn.transaction():
            await act_for(conn, [key.local_authority])
            await conn.execute(
                "DELETE FROM document_contents WHERE document_id = $1", key.document_id
            )
