"""Documents' bytes in S3-compatible object storage (``DOCUMENT_STORE=s3``): one object a
document, ``<council>/<document id>`` in the council's bucket folder, so one council's key never
names another council's object.

boto3 (AWS's own client, which every S3-compatible server speaks to) is synchronous: each call
runs in a worker thread (``asyncio.to_thread``) so the event loop never waits on the bucket. One
client serves the process (boto3's clients are thread-safe). Credentials come from the settings
when given, else from boto3's own chain (a pod's web identity, the instance's role); they are
never logged, and errors are re-raised naming only the document id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from referrals.documents.store import ContentMissing, DocumentStore, StoredKey, StoreUnavailable

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
T = TypeVar("T")


@dataclass(frozen=True)
class Bucket:
    """Where and as whom: the settings' ``S3_*`` (secrets as ``SecretStr``: not in a repr)."""

    name: str
    region: str
    endpoint_url: str | None = None
    """Another S3-compatible server than AWS's (MinIO, Ceph, a council's own); None: AWS."""
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    timeout_s: float = 30


class S3Store(DocumentStore):
    """Bytes as objects of one bucket, keyed by council and document id."""

    name = "s3"

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket.name
        secret = bucket.secret_access_key
        self.client: S3Client = boto3.session.Session().client(
            "s3",
            region_name=bucket.region,
            endpoint_url=bucket.endpoint_url,
            aws_access_key_id=(
                bucket.access_key_id.get_secret_value() if bucket.access_key_id else None
            ),
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=Config(
                connect_timeout=bucket.timeout_s,
                read_timeout=bucket.timeout_s,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    @staticmethod
    def object_key(key: StoredKey) -> str:
        """The council's folder, then the document: ids only (no name, no child)."""
        return f"{key.local_authority}/{key.document_id}"

    async def put(self, key: StoredKey, content: bytes) -> None:
        def put() -> None:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.object_key(key),
                Body=content,
                ContentType="application/octet-stream",  # typed by content in PostgreSQL's row
            )

        await self._call(key, put)

    async def get(self, key: StoredKey) -> bytes:
        return await self._call(key, lambda: self._get(key))

    def _get(self, key: StoredKey) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise ContentMissing(str(key.document_id)) from None
            raise
        with answer["Body"] as body:
            return body.read()

    async def remove(self, key: StoredKey) -> None:
        # S3 answers a removal of what is not there with success: no error, as the interface says.
        await self._call(
            key, lambda: self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        )

    @staticmethod
    async def _call(key: StoredKey, call: Callable[[], T]) -> T:
        """``call`` in a worker thread; the bucket unreachable, timing out or failing on its
        side (5xx, after boto3's retries) is ``StoreUnavailable``. Anything else (no such
        bucket, access denied) is the misconfiguration it is, raised as it is."""
        try:
            return await asyncio.to_thread(call)
        except BotoCoreError as exc:
            raise StoreUnavailable(f"{key.document_id}: {type(exc).__name__}") from None
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                raise StoreUnavailable(f"{key.document_id}: {type(exc).__name__}") from None
            raise

    def close(self) -> None:
        """The client's connections closed (the service's shutdown)."""
        self.client.close()
