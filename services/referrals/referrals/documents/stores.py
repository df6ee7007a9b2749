"""Which ``DocumentStore`` this deployment keeps documents' bytes in (``DOCUMENT_STORE``): a
choice made once from the settings, given the pool's holder wherever a store is needed (a
route's service, the partners' consumer's ``Work``, the retention job's state). The S3 store is
built once and shared: its client holds the bucket's connections and credentials."""

from __future__ import annotations

from collections.abc import Callable

from referrals.config import ReferralsSettings
from referrals.documents.s3 import Bucket, S3Store
from referrals.documents.store import DocumentStore, Pooled, PostgresStore

StoreOf = Callable[[Pooled], DocumentStore]
"""The store, given what holds the service's pool (only PostgreSQL's store uses it)."""


def store_of(settings: ReferralsSettings) -> StoreOf:
    """PostgreSQL's store (the default), or one S3 store for the process."""
    if settings.document_store == "postgres":
        return PostgresStore
    assert settings.s3_bucket is not None  # the settings refuse s3 without a bucket
    bucket = S3Store(
        Bucket(
            name=settings.s3_bucket,
            region=settings.s3_region,
            endpoint_url=settings.s3_endpoint_url,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    )
    return lambda _pooled: bucket
