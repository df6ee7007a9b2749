"""``Idempotency-Key`` on a POST, as a route meets it: the header it takes, and what it answers
a retry. The key is claimed, and the first answer kept, by the unit of work
(``Work.begin(idempotency_key=..., request=...)``, ``uow.answer``): a retry gets the first
answer and changes nothing; the same key with another request is refused (422). Keys are per
caller (the token's subject)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from shared.http import invalid
from shared.unit_of_work import FirstAnswer, KeyReused

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


def replayed(first: FirstAnswer) -> JSONResponse:
    """The first answer again, marked as such (``Idempotent-Replayed: true``)."""
    return JSONResponse(first.body, first.status_code, headers={"Idempotent-Replayed": "true"})


def key_reused(exc: KeyReused) -> RequestValidationError:
    """The 422 for a key used before with another request, naming the header."""
    return invalid([(("Idempotency-Key",), str(exc))], where="header")
