"""`make flood`: a bot flood on the public request form leaves a real family's request alone.

    python -m scripts.bench.flood                      # 100 junk submissions a second, 60 s
    python -m scripts.bench.flood --rate 50 --seconds 20 --junk honeypot

Brings its own databases, Kafka namespace, identity provider and the five services, every
service believing ``X-Forwarded-For`` from the loopback (``TRUSTED_PROXIES``: as from the
ingress and the workspace in a cluster), referrals knowing the workspace's address
(``WORKSPACE_NETWORKS``: 127.0.0.1; the flood connects from 127.0.0.2, as the ingress
controller would) and the rate limits at their defaults. Then, for
``--seconds``: ``--rate`` junk submissions a second to referrals' ``POST /v1/public/requests``
(open loop: sent on schedule whatever the answers), each from another client address in
``X-Forwarded-For`` (so no per-address limit stops them), well-formed requests with made-up
children and contacts (``--junk valid``: the worst case, each kept with its messages), a
filled honeypot, or bodies the schema refuses; meanwhile families, one after another and each
from an address of their own, go through the workspace's form page by page (start, every
question, check your answers, send, the confirmation), each page's time measured. Prints the
flood's answers by status and the families' page times (p50, p95, max). The target (issue
#20): every family page under 1 s.

Not part of ``make test``: a minute of load on a shared machine is a measurement, not a check.

(Longer than most modules: the flood, the family's walk through the form and the report, read
together as the one command it is.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import time
from collections import Counter
from html import unescape
from typing import Any
from uuid import uuid4

import httpx

from scripts.bench.http_load import HttpConnections
from scripts.bench.stack import bench_platform
from scripts.bench.stats import percentile
from shared.services import local_postgres_url

TARGET_MS = 1000.0
LEEDS = "E08000035"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
BOTS_PEER = "127.0.0.2"
"""The flood connects from here (as through the ingress controller); the workspace from
127.0.0.1 (its own network: ``WORKSPACE_NETWORKS``)."""
ENV = {
    "TRUSTED_PROXIES": "127.0.0.0/8",
    "WORKSPACE_NETWORKS": "127.0.0.1/32",
    # uvicorn itself would put X-Forwarded-For's address in place of a loopback peer's (its
    # default FORWARDED_ALLOW_IPS): the services read the header themselves (TRUSTED_PROXIES),
    # and the lanes need the connection's own address, as in a cluster.
    "FORWARDED_ALLOW_IPS": "192.0.2.1",
    # The limits as deployed (the bench's own stack lifts RATE_LIMIT_POST: one client).
    "RATE_LIMIT_POST": "60/minute",
    "RATE_LIMIT_PUBLIC": "20/hour;100/day",
}
FAMILY_ANSWERS: list[tuple[str, dict[str, str]]] = [
    ("who", {"requested_by": "parent"}),
    ("council", {"local_authority": LEEDS}),
    ("kind", {"track": "ehc"}),
    ("name", {"given_name": "Amara", "family_name": "Okafor"}),
    (
        "date-of-birth",
        {"date_of_birth-day": "3", "date_of_birth-month": "4", "date_of_birth-year": "2018"},
    ),
    ("postcode", {"postcode": "LS6 2AB"}),
    ("nhs-number", {"nhs_number": ""}),
    ("need", {"primary_need": "SLCN"}),
    ("about", {"difficulties": "She finds it hard to follow what is said in class."}),
    ("evidence", {}),  # optional: no file
    ("contact-name", {"contact_name": "Ada Okafor"}),
    ("contact-by", {"preferred_channel": "email"}),
    ("email", {"email": "ada.okafor@example.org"}),
]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.flood", description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="junk submissions a second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--junk", choices=("valid", "honeypot", "invalid"), default="valid")
    return parser.parse_args(argv)


def junk_body(kind: str, rng: random.Random) -> dict[str, Any]:
    marker = uuid4().hex[:10]
    if kind == "invalid":
        return {"local_authority": LEEDS, "child": {"given_name": "x" * 500}}
    return {
        "local_authority": LEEDS,
        "requested_by": rng.choice(["parent", "school"]),
        "track": rng.choice(["support", "ehc"]),
        "primary_need": "OTH",
        "child": {
            "given_name": f"Bot{marker}",
            "family_name": "Junk",
            "date_of_birth": f"{rng.randint(2010, 2022)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            "postcode": "LS1 1AA",
        },
        "family_contact": {"name": "Bot Junk", "email": f"{marker}@spam.example"},
        "honeypot": "http://spam.example" if kind == "honeypot" else "",
    }


async def flood(
    referrals: str, rate: float, seconds: float, kind: str, answers: Counter[str]
) -> None:
    """``rate`` submissions a second for ``seconds``, each from its own address, on schedule
    (a slow answer does not slow the flood: it is what a bot does). The bench's lean client
    (``http_load``): httpx's pool spends the generator's CPU once thousands wait."""
    rng = random.Random(20)  # noqa: S311  # made-up data, not a secret
    connections = HttpConnections(referrals, {}, local_address=BOTS_PEER)

    async def one(n: int) -> None:
        address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        body = json.dumps(junk_body(kind, rng)).encode()
        try:
            async with asyncio.timeout(30):
                status, _ = await connections.post_json(
                    "/v1/public/requests", body, {"X-Forwarded-For": address}
                )
            answers[str(status)] += 1
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            answers[type(exc).__name__] += 1

    started = time.perf_counter()
    tasks = []
    for n in range(int(rate * seconds)):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n + 1)))
    await asyncio.gather(*tasks)
    await connections.close()


async def family(web: str, address: str, times: dict[str, list[float]]) -> None:
    """One family's request through the workspace's pages, each page's time recorded."""
    async with httpx.AsyncClient(
        base_url=web, timeout=30, headers={"X-Forwarded-For": address}
    ) as client:

        async def timed(name: str, method: str, url: str, **kw: Any) -> httpx.Response:
            started = time.perf_counter()
            answer = await client.request(method, url, **kw)
            times.setdefault(name, []).append((time.perf_counter() - started) * 1000)
            if answer.status_code not in (200, 303):
                raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")
            return answer

        await timed("start", "GET", "/request")
        for slug, fields in FAMILY_ANSWERS:
            page = await timed("a question", "GET", f"/request/{slug}")
            csrf = dict(_HIDDEN.findall(page.text))["csrf_token"]
            await timed("a question, answered", "POST", f"/request/{slug}",
                        data={"csrf_token": unescape(csrf), **fields})  # fmt: skip
        check = await timed("check your answers", "GET", "/request/check")
        csrf = dict(_HIDDEN.findall(check.text))["csrf_token"]
        sent = await timed("send", "POST", "/request/check",
                           data={"csrf_token": unescape(csrf), "website": ""})  # fmt: skip
        if sent.headers.get("location") != "/request/sent":
            raise RuntimeError(f"not sent: {sent.status_code} {sent.text[:300]}")
        await timed("confirmation", "GET", "/request/sent")


async def families(web: str, until: float, times: dict[str, list[float]]) -> tuple[int, int]:
    """Families one after another until ``until``: how many tried, how many were refused."""
    made = refused = 0
    while time.perf_counter() < until:
        made += 1
        try:
            await family(web, f"203.0.113.{made % 250 + 1}", times)
        except RuntimeError as exc:
            refused += 1
            print(f"a family was refused: {str(exc)[:80]}")
    return made, refused


async def run(args: argparse.Namespace) -> None:
    postgres = os.environ.get("POSTGRES_URL", local_postgres_url())
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    async with bench_platform(postgres, kafka, ENV) as bench:
        bench.platform.start()
        web, referrals = bench.platform.url("web"), bench.platform.url("referrals")
        quiet: dict[str, list[float]] = {}
        await family(web, "203.0.113.254", quiet)  # warm: the first request's imports
        quiet.clear()
        await families(web, time.perf_counter() + 10, quiet)
        answers: Counter[str] = Counter()
        times: dict[str, list[float]] = {}
        started = time.perf_counter()
        flooding = asyncio.create_task(
            flood(referrals, args.rate, args.seconds, args.junk, answers)
        )
        made, refused = await families(web, started + args.seconds, times)
        await flooding
        took = time.perf_counter() - started
    sent = sum(answers.values())
    print(f"\nflood: {sent} {args.junk} submissions in {took:.1f} s ({sent / took:.0f}/s), "
          f"answers {dict(sorted(answers.items()))}")  # fmt: skip
    print(f"families during the flood: {made} requests through the workspace's pages, "
          f"{refused} refused\n")  # fmt: skip
    print(f"{'page':<24}{'quiet p50':>10}{'p95':>8}{'flood p50':>11}{'p95':>8}{'max':>8}  (ms)")
    worst = 0.0
    for name, during in times.items():
        before = quiet.get(name, [0.0])
        worst = max(worst, max(during))
        print(f"{name:<24}{percentile(before, 50):>10.0f}{percentile(before, 95):>8.0f}"
              f"{percentile(during, 50):>11.0f}{percentile(during, 95):>8.0f}"
              f"{max(during):>8.0f}")  # fmt: skip
    verdict = "met" if worst < TARGET_MS and not refused else "NOT met"
    print(f"\ntarget: every family page under {TARGET_MS:.0f} ms: {verdict} (worst {worst:.0f})")


def main(argv: list[str] | None = None) -> None:
    asyncio.run(run(parse(argv)))


if __name__ == "__main__":
    main()
