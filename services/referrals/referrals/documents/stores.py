"""Which ``DocumentStore`` this deployment keeps documents' bytes in (``DOCUMENT_STORE``): a
choice made once from the settings, given the pool's holder wherever a store is needed (a
route's service, the partners' consumer's ``Work``, the retention job's state). The S3 store is
built once and shared: its client holds the bucket's connections and credentials."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from referrals.config import ReferralsSettings
from referrals.documents.s3 import Bucket, S3Store
from referrals.documents.store import DocumentStore, Pooled, PostgresStore, StoreUnavailable

logger = logging.getLogger(__name__)

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


async def _store_unavailable(_: Request, exc: Exception) -> JSONResponse:
    logger.warning("document store unavailable: %s", exc)  # a document id and an error class
    return JSONResponse(
        {"detail": "Documents cannot be stored or read just now. Try again shortly."},
        status_code=503,
        headers={"Retry-After": "5"},
    )


def install_store_errors(app: FastAPI) -> None:
    """The store unreachable is a 503 with ``Retry-After`` on every route (as the database is):
    nothing is recorded, since the bytes are put before the document's row."""
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
