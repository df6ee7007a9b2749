"""Where documents' bytes are kept, behind one interface: PostgreSQL (the default: a table of
bytes in the service's own database, so ``make run`` needs nothing more) or S3-compatible
object storage (``DOCUMENT_STORE=s3``: a bucket, its endpoint and credentials).

What is known about a document (its referral, kind, type, hash, who sent it) is always in
PostgreSQL (``referrals.documents.repository``); a store holds only bytes, by document id and
council. Its calls are made outside any unit of work: bytes are put before the document's row
commits and removed after its erasure commits, so no transaction waits on a bucket.
"""

from __future__ import annotations

import abc
import asyncio
import functools
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared.councils import act_for
from shared.db import Database


@dataclass(frozen=True)
class StoredKey:
    """A document's bytes: its id and its council (row-level security, the bucket's folder)."""

    document_id: UUID
    local_authority: str


class ContentMissing(LookupError):
    """A document whose bytes are not in the store (removed, or never stored)."""


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


class PostgresStore(DocumentStore):
    """Bytes in the service's own database (``document_contents``, 20 MB a row at most)."""

    name = "postgres"

    def __init__(self, database: Database) -> None:
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


@dataclass(frozen=True)
class Bucket:
    """An S3-compatible bucket and how to reach it (``S3_*`` settings)."""

    name: str
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None


class S3Store(DocumentStore):
    """Bytes as objects ``<council>/<document id>`` in an S3-compatible bucket, through boto3
    (its calls block, so each runs in a worker thread)."""

    name = "s3"

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    @functools.cached_property
    def _client(self) -> Any:
        # Imported on first use: only a deployment with DOCUMENT_STORE=s3 needs it.
        import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints

        return boto3.client(
            "s3",
            endpoint_url=self.bucket.endpoint_url,
            region_name=self.bucket.region,
            aws_access_key_id=self.bucket.access_key_id,
            aws_secret_access_key=self.bucket.secret_access_key,
        )

    def _key(self, key: StoredKey) -> str:
        return f"{key.local_authority}/{key.document_id}"

    async def put(self, key: StoredKey, content: bytes) -> None:
        await asyncio.to_thread(
            self._client.put_object, Bucket=self.bucket.name, Key=self._key(key), Body=content
        )

    async def get(self, key: StoredKey) -> bytes:
        def read() -> bytes:
            try:
                answer = self._client.get_object(Bucket=self.bucket.name, Key=self._key(key))
            except self._client.exceptions.NoSuchKey as exc:
                raise ContentMissing(str(key.document_id)) from exc
            body: bytes = answer["Body"].read()
            return body

        return await asyncio.to_thread(read)

    async def remove(self, key: StoredKey) -> None:
        await asyncio.to_thread(
            self._client.delete_object, Bucket=self.bucket.name, Key=self._key(key)
        )
