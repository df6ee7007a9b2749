"""How a document comes in, whoever sends it (a caseworker, an adviser through their link):
read up to its limit, typed by content, scanned when a scanner is configured, its bytes put in
the store, then its row recorded in the sender's unit of work; bytes whose row does not
commit are removed again. A refusal is a 422 naming the form's ``file`` field, and nothing is
stored."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, Request, UploadFile, status

from referrals.documents.content import MAX_DOCUMENT_BYTES, Checked, Refused, check
from referrals.documents.scanning import Scanner, ScanUnavailable
from referrals.documents.store import DocumentStore, StoredKey
from referrals.state import referrals_of
from shared.http import invalid
from shared.state import service_of

logger = logging.getLogger(__name__)

DocumentKind = Literal["evidence", "advice", "letter", "report"]
FILE_FIELD = "file"


@dataclass(frozen=True)
class DocumentDesk:
    """The service's store and, when ``CLAMD_ADDRESS`` is set, its malware scanner."""

    store: DocumentStore
    scanner: Scanner | None = None


async def desk_of(request: Request) -> DocumentDesk:
    """The service's store (``DOCUMENT_STORE``) and its scanner (the service's state)."""
    service = service_of(request)
    own = referrals_of(service.own)
    return DocumentDesk(own.document_store(service.database), own.scanner)


@dataclass(frozen=True)
class Received:
    """A file that passed every check: its name as sent, its bytes and what they are."""

    filename: str
    content: bytes
    checked: Checked


async def receive(desk: DocumentDesk, upload: UploadFile, *, field: str = FILE_FIELD) -> Received:
    """``upload`` read (at most one byte past the limit: enough to refuse it), typed by
    content and scanned; or a 422 naming ``field`` (503 while the scanner cannot be asked)."""
    content = await upload.read(MAX_DOCUMENT_BYTES + 1)
    filename = (upload.filename or "").strip()
    try:
        checked = check(content, filename)
    except Refused as exc:
        raise invalid([((field,), str(exc))]) from exc
    if desk.scanner is not None:
        try:
            found = await desk.scanner.scan(content)
        except ScanUnavailable as exc:
            logger.warning("upload refused: %s", exc)
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "The file could not be checked for viruses just now. Try again shortly.",
                headers={"Retry-After": "30"},
            ) from exc
        if found is not None:
            logger.warning("upload refused: the malware scan found %s", found.signature)
            raise invalid([((field,), "The selected file contains a virus")])
    return Received(filename[:200] or "unnamed", content, checked)


@contextlib.asynccontextmanager
async def kept(desk: DocumentDesk, key: StoredKey, content: bytes) -> AsyncIterator[None]:
    """The bytes put in the store for the block, which records their row; removed again if
    it fails (a refusal, a rollback), so no bytes are kept without a document."""
    await desk.store.put(key, content)
    try:
        yield
    except BaseException:
        await desk.store.remove(key)
        raise
