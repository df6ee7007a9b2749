"""How much printing of plans (their PDF) one plans process takes on: a render takes 0.1 s
(a short plan) to 0.7 s (a long one) of a core and 10 to 15 MiB while it runs, on top of the
35-40 MiB WeasyPrint holds once loaded, in a pod limited to 384 MiB (measured: docs/security.md,
"Printing plans is bounded"). Unbounded, one family link sent 40 times at once by a script
rendered 40 PDFs at once: 290 MiB, and 29 s for every answer of the process.

- At most ``PDF_RENDERS_AT_ONCE`` at once (2): renders are CPU-bound and share one core's
  worth of CPU, so a third at once finishes none sooner and only adds its memory. A request
  waits up to ``PDF_RENDER_WAIT_S`` for a turn, then gets 503 with ``Retry-After``.
- At most ``RATE_LIMIT_PDF`` (10 a minute) of one plan through the family's links (all of a
  family's links count together), and of one member of staff: one link cannot keep the turns.

A turn is taken by a dependency listed before the route's database connection, so a request
waiting for one holds no connection; it is given back when the route returns, before the
PDF is sent (a slow reader keeps no turn). Not FastAPI's ``Depends(max_concurrency=...)``: it
waits without limit, and a flood would queue for ever instead of being told to come back.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import limits
from fastapi import HTTPException, status
from limits.aio.strategies import FixedWindowRateLimiter

from shared.rate_limits import Clock, async_storage, spend, too_many

BUSY = "Many plans are being printed just now. Try again in a few seconds."


class Printing:
    """The process's turns at rendering a PDF, and the counts of who asked for them."""

    def __init__(
        self,
        *,
        at_once: int,
        wait_s: float,
        per_plan: str,
        storage: str,
        namespace: str,
        clock: Clock = time.time,
    ) -> None:
        self._turns = asyncio.Semaphore(at_once)
        self._wait_s = wait_s
        self._per_plan = limits.parse_many(per_plan)
        self._limiter = FixedWindowRateLimiter(async_storage(storage))
        self._namespace = namespace
        self._clock = clock

    @asynccontextmanager
    async def turn(self, asked_by: str) -> AsyncIterator[None]:
        """Hold a turn at rendering for the block: 429 once ``asked_by`` (a plan, a member of
        staff) has had its share, 503 when no turn frees within the wait."""
        key = (self._namespace, "plan-pdf", asked_by)
        retry_after = await spend(self._limiter, self._per_plan, key, clock=self._clock)
        if retry_after is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                too_many(retry_after),
                headers={"Retry-After": str(retry_after)},
            )
        try:
            async with asyncio.timeout(self._wait_s):
                await self._turns.acquire()
        except TimeoutError:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                BUSY,
                headers={"Retry-After": str(max(1, math.ceil(self._wait_s)))},
            ) from None
        try:
            yield
        finally:
            self._turns.release()
