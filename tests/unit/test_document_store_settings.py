"""DOCUMENT_STORE chooses where documents' bytes are kept: PostgreSQL unless told otherwise (so
``make run`` needs nothing more), S3 only with a bucket; a half-given credential or an endpoint
that is not an address stops the service at start-up, and the secret key is never shown."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from referrals.config import ReferralsSettings
from referrals.documents.s3 import S3Store
from referrals.documents.store import PostgresStore
from referrals.documents.stores import store_of

SECRET = "wJalrXUtnFEMI-not-a-real-secret"


def test_postgresql_is_the_default() -> None:
    settings = ReferralsSettings()
    assert settings.document_store == "postgres"
    assert store_of(settings) is PostgresStore


def test_s3_is_chosen_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCUMENT_STORE", "s3")
    monkeypatch.setenv("S3_BUCKET", "leeds-send-documents")
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("S3_ACCESS_KEY_ID", "send")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", SECRET)
    settings = ReferralsSettings()
    store = store_of(settings)(None)  # type: ignore[arg-type]  # S3's store needs no pool
    assert isinstance(store, S3Store)
    assert store.bucket == "leeds-send-documents"
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())
    store.close()


@pytest.mark.parametrize(
    ("environment", "why"),
    [
        ({"DOCUMENT_STORE": "s3"}, "S3_BUCKET"),
        ({"DOCUMENT_STORE": "minio"}, "document_store"),
        ({"S3_ACCESS_KEY_ID": "send"}, "both or neither"),
        ({"S3_ENDPOINT_URL": "objects.council.example"}, "S3_ENDPOINT_URL"),
    ],
)
def test_a_store_that_cannot_work_is_refused(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], why: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=why):
        ReferralsSettings()
