"""The services' APIs, called for the person signed in, with their own token: council
boundaries (row-level security), validation and the audit trail stay in the services.

Each answer that is not a success becomes an exception a page can act on: ``SignInAgain``
(401: the token was refused), ``NotFound`` (404, and 403 for another council's record, which
a person must not be able to tell apart from a record that does not exist), ``Conflict``
(409, with the service's words), ``Invalid`` (422, each field's ``loc`` and message, never
the value) and ``Unavailable`` (503, a timeout, or a service that cannot be reached).

(Longer than most modules: one small class an answer, so that pages catch exactly what they
mean.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

IDEMPOTENT = frozenset({"GET", "HEAD"})
"""The calls sent a second time when a pooled connection fails under them: they change
nothing, so the second answer is the one the first would have been."""
STALE_CONNECTION = (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError)
"""How a call fails on a kept-alive connection the service closed as the call went out (its
keep-alive ran out, or it restarted): nothing was answered, and a new connection will be."""


class ApiError(Exception):
    """An answer a page turns into words."""


class SignInAgain(ApiError):
    """The service refused the person's token: sign in again."""


class NotFound(ApiError):
    """Not there, or not this person's to see (the same to them)."""


class Forbidden(ApiError):
    """Their role does not allow it (a page, not a record of another council)."""


@dataclass
class Conflict(ApiError):
    """The service refused the change as it stands now; ``detail`` says why, in words."""

    detail: str


@dataclass
class Invalid(ApiError):
    """A 422: each wrong field, as ``(loc, message)``."""

    errors: list[tuple[tuple[str | int, ...], str]]


class Unavailable(ApiError):
    """The service did not answer in time, or said it could not."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Backends:
    """One HTTP client for every service (pooled connections), and where each service is."""

    client: httpx.AsyncClient
    urls: Mapping[str, str]

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        data: Mapping[str, str] | None = None,
        content: bytes | None = None,
        accept: Sequence[int] = (200, 201),
        forwarded_for: str | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        """Call ``service``; return its answer when its status is in ``accept``, else raise
        the matching ``ApiError``. ``content``: a raw body (a CSV file), with its type in
        ``headers``; ``files`` and ``data``: a multipart form (a document and its fields);
        ``timeout_s``: longer than the client's, for a call known to be slow (a whole file
        brought in)."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if forwarded_for is not None:
            sent["X-Forwarded-For"] = forwarded_for
        request = self.client.build_request(
            method,
            f"{self.urls[service]}{path}",
            json=json,
            params={k: v for k, v in (params or {}).items() if v is not None},
            headers=sent,
            files=files,
            data=data,
            content=content,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout_s is None else timeout_s,
        )
        response = await self._send(service, request, stream=False)
        body = _body(response)
        if response.status_code in accept:
            return Answer(response.status_code, body, response.headers)
        raise _error(response.status_code, body, service)

    async def stream(
        self, service: str, path: str, *, token: str | None, params: Mapping[str, Any]
    ) -> httpx.Response:
        """A GET whose answer (a large download) is passed on as it arrives rather than held:
        the caller iterates it and closes it. An answer that is not 200 raises as ``call``."""
        request = self.client.build_request(
            "GET",
            f"{self.urls[service]}{path}",
            params=params,
            headers={"Authorization": f"Bearer {token}"} if token is not None else None,
        )
        response = await self._send(service, request, stream=True)
        if response.status_code != 200:
            await response.aread()
            await response.aclose()
            raise _error(response.status_code, _body(response), service)
        return response

    async def _send(self, service: str, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """Send ``request``; a GET that fails on a stale pooled connection goes once more, on
        a new one (a POST does not: the service may have acted on it). Anything else that
        fails is ``Unavailable``."""
        try:
            return await self.client.send(request, stream=stream)
        except STALE_CONNECTION as exc:
            if request.method not in IDEMPOTENT:
                raise Unavailable(f"{service}: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"{service}: {type(exc).__name__}") from exc
        try:
            return await self.client.send(request, stream=stream)
        except httpx.HTTPError as exc:
            raise Unavailable(f"{service}: {type(exc).__name__}") from exc

    async def get(self, service: str, path: str, *, token: str | None, **kw: Any) -> Any:
        return (await self.call(service, "GET", path, token=token, **kw)).body

    async def post(self, service: str, path: str, *, token: str | None, **kw: Any) -> Any:
        return (await self.call(service, "POST", path, token=token, **kw)).body


def _body(response: httpx.Response) -> Any:
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            return response.json()
        except ValueError:
            return None
    return response.content


def _error(status: int, body: Any, service: str) -> ApiError:
    detail = body.get("detail") if isinstance(body, dict) else None
    if status == 401:
        return SignInAgain(service)
    if status == 404:
        return NotFound(service)
    if status == 403:
        # Another council's record answers 404 in every service; a 403 is a role's limit.
        return Forbidden(detail if isinstance(detail, str) else service)
    if status == 409:
        return Conflict(detail if isinstance(detail, str) else "it cannot be done as it stands")
    if status == 422 and isinstance(detail, list):
        return Invalid(
            [
                (tuple(e.get("loc", ())), str(e.get("msg", "is not valid")))
                for e in detail
                if isinstance(e, dict)
            ]
        )
    if status == 422:
        return Invalid([((), detail if isinstance(detail, str) else "is not valid")])
    return Unavailable(f"{service} answered {status}")


async def together(*calls: Awaitable[T]) -> list[T]:
    """Several calls at once (a page that needs several services waits for the slowest, not
    the sum); the first error is raised once all have finished."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)  # type: ignore[arg-type]  # no exceptions left in it
