"""Printing a plan (its PDF, WeasyPrint) is bounded per plans process: at most
PDF_RENDERS_AT_ONCE renders at once, a request that finds no turn within PDF_RENDER_WAIT_S is
told to come back (503, Retry-After), and one plan is printed through the family's links (or
by one member of staff) at most RATE_LIMIT_PDF times. Real PostgreSQL, real renders (the
render is only held at its start, to see how many run at once)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from plans import plan_pages
from plans.document import PlanDocument

from devtools.dev_identity import fetch_token
from scripts.platform import (
    REPO_ROOT,
    IdentityProvider,
    Platform,
    database_env,
    free_port,
    migrations_of,
)
from shared.settings import KafkaSettings
from shared.topics import delete_namespace, ensure_topics
from tests import namespaces
from tests.conftest import Databases, Infrastructure
from tests.integration.conftest import wait_for
from tests.integration.plans_family import link, plans_service, seed_plan
from tests.plan_documents import plans_by_area

SPEECH = plans_by_area()["communication-and-interaction"]


@pytest.fixture(scope="module")
async def plans_url(databases: Databases) -> str:
    return await databases.fresh("printing", "plans", migrations_of("plans"))


class HeldRenders:
    """``plan_pages.pdf`` as it is, each render held at its start until ``go`` is set; counts
    how many run at once."""

    def __init__(self, render: Callable[[str], bytes]) -> None:
        self.render = render
        self.go = threading.Event()
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def __call__(self, html: str) -> bytes:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            assert self.go.wait(timeout=60), "the test never let the render go"
            return self.render(html)
        finally:
            with self._lock:
                self.running -= 1


def _client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
    )


async def test_at_most_two_render_at_once_and_the_rest_are_told_to_come_back(
    plans_url: str, identity: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldRenders(plan_pages.pdf)
    monkeypatch.setattr(plan_pages, "pdf", held)
    referral_id = await seed_plan(plans_url, SPEECH, status="shared")
    token = link(referral_id)
    async with (
        plans_service(plans_url, identity, pdf_render_wait_s=0.5) as app,
        _client(app) as family,
    ):
        flood = [asyncio.create_task(family.get(f"/v1/family/{token}/plan.pdf")) for _ in range(6)]

        async def two_rendering() -> bool:
            return held.running >= 2

        async def the_rest_answered_or_rendering() -> bool:
            return sum(task.done() for task in flood) == 4 or held.running > 2

        try:
            await wait_for(two_rendering, what="two renders to start")
            await wait_for(the_rest_answered_or_rendering, what="the four without a turn")
            assert held.most_at_once == 2  # before: all six rendered at once
            told_to_wait = [task.result() for task in flood if task.done()]
        finally:
            held.go.set()
        answers = await asyncio.gather(*flood)

    assert [a.status_code for a in told_to_wait] == [503] * 4
    assert {a.headers["retry-after"] for a in told_to_wait} == {"1"}
    assert told_to_wait[0].json()["detail"].startswith("Many plans are being printed")
    assert sorted(a.status_code for a in answers) == [200, 200, 503, 503, 503, 503]
    assert all(a.content.startswith(b"%PDF") for a in answers if a.status_code == 200)


async def test_one_plan_is_printed_at_most_n_times_a_minute_through_all_its_links(
    plans_url: str, identity: IdentityProvider
) -> None:
    mine = await seed_plan(plans_url, SPEECH, status="final")
    another = await seed_plan(plans_url, SPEECH, status="final")
    links = [link(mine), link(mine)]  # two messages, two links: one plan
    async with plans_service(plans_url, identity, rate_limit_pdf="3/minute") as app:
        async with _client(app) as family:
            answers = [await family.get(f"/v1/family/{links[n % 2]}/plan.pdf") for n in range(4)]
            other_plan = await family.get(f"/v1/family/{link(another)}/plan.pdf")
        token = await fetch_token(identity.issuer, "leeds-caseworker")
        async with _client(app, Authorization=f"Bearer {token}") as caseworker:
            staff = [
                (await caseworker.get(f"/v1/referrals/{r}/plan.pdf")).status_code
                for r in (mine, another, mine, another)
            ]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert refused.json()["detail"].startswith("Too many requests.")
    assert other_plan.status_code == 200  # another family's plan is not held back
    # A member of staff has a count of their own, whichever plans they print.
    assert staff == [200, 200, 200, 429]


LIMIT_MIB = 384
"""The chart's memory limit of a plans pod (deploy/helm/send-platform/values.yaml)."""


def _long_plan() -> PlanDocument:
    """A plan at the long end of what councils write: 24 lines of provision, every free-text
    section a page long (renders take longer and more memory as plans grow)."""
    words = "What the family told us about their child's days, at home and at school. " * 40
    plan = SPEECH.model_dump()
    plan["F"] = [{**line, "id": f"{line['id']}-{n}"} for n in range(24) for line in plan["F"]]
    return PlanDocument.model_validate({**plan, **dict.fromkeys(("A", "C", "D", "H1", "J"), words)})


def _resident_mib(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} for process {pid}")


async def _flood(
    base_url: str, paths: list[str], pid: int, *, at_once: int = 40
) -> tuple[Counter[int], float, float]:
    """Every one of ``paths`` requested, ``at_once`` in flight; the answers' statuses, the
    process's highest resident memory meanwhile (MiB) and the seconds it took."""
    peak = _resident_mib(pid)
    answers: Counter[int] = Counter()
    queue = list(paths)
    started = time.monotonic()

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, _resident_mib(pid))
            await asyncio.sleep(0.02)  # a sampling period, not a wait for anything

    async def client(http: httpx.AsyncClient) -> None:
        while queue:
            answers[(await http.get(queue.pop())).status_code] += 1

    sampler = asyncio.create_task(sample())
    limits = httpx.Limits(max_connections=at_once)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(at_once)))
    sampler.cancel()
    return answers, max(peak, _resident_mib(pid)), time.monotonic() - started


async def test_a_flood_of_pdf_requests_leaves_the_process_under_its_memory_limit(
    plans_url: str, infrastructure: Infrastructure, identity: IdentityProvider
) -> None:
    kafka = KafkaSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        namespace=namespaces.namespace("printing"),
    )
    await ensure_topics(kafka)
    one = await seed_plan(plans_url, _long_plan(), status="final")
    many = [await seed_plan(plans_url, _long_plan(), status="final") for _ in range(40)]
    env = {
        **database_env({"plans": plans_url}),
        **identity.service_env(),
        "KAFKA_BOOTSTRAP_SERVERS": kafka.kafka_bootstrap_servers,
        "SEND_NAMESPACE": kafka.namespace,
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_FAMILY": "100000/minute",  # the family routes' own limit is not measured
    }
    plans = Platform(
        log_dir=REPO_ROOT / ".local" / "logs" / "printing", env=env, ports={"plans": free_port()}
    )
    plans.start()
    try:
        pid = plans.processes["plans"].pid
        at_rest = _resident_mib(pid)
        # One family link, sent by a script: 160 at once-ish.
        one_link, peak_one, took_one = await _flood(
            plans.url("plans"), [f"/v1/family/{link(one)}/plan.pdf"] * 160, pid
        )
        # The worst a single process can be asked: 40 plans' links, 4 times each, 40 at once.
        paths = [f"/v1/family/{link(r)}/plan.pdf" for r in many for _ in range(4)]
        many_links, peak_many, took_many = await _flood(plans.url("plans"), paths, pid)
        high_water = _resident_mib(pid, "VmHWM")
    finally:
        plans.stop()
        await delete_namespace(kafka)

    print(
        f"\nplans process at rest {at_rest:.0f} MiB; one link x160, 40 at once: "
        f"{dict(one_link)} in {took_one:.1f} s, peak {peak_one:.0f} MiB; 40 links x4, 40 at "
        f"once: {dict(many_links)} in {took_many:.1f} s, peak {peak_many:.0f} MiB; "
        f"high-water mark {high_water:.0f} MiB (limit {LIMIT_MIB} MiB)"
    )
    assert high_water < LIMIT_MIB
    assert set(one_link) <= {200, 429, 503}
    assert set(many_links) <= {200, 503}
    assert 1 <= one_link[200] <= 20  # 10 a minute (a window may turn during the flood)
    assert many_links[200] >= 2  # turns were taken...
    assert many_links[503] > 0  # ... and refused to those that found none in time
