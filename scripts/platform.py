"""Starts the four services as separate processes (as in production: one process each) and
waits until each one reports ready; and, beside them, the development identity provider whose
tokens they accept locally. Used by `make run` and by the end-to-end tests.

(Longer than most modules: starting, watching and stopping the services and the identity
provider, and their fresh databases, are one launcher shared by `make run` and the tests.)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

import asyncpg
import httpx

from devtools.dev_identity import DEFAULT_AUDIENCE
from devtools.dev_identity import DEFAULT_PORT as IDENTITY_PORT
from shared.migrations import data_import_of, grant, migrate, service_migrations
from shared.services import LOCAL_SERVICE_USER, SERVICES, with_user
from shared.settings import PROCESS_PARTS

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICE_PORTS = {name: service.port for name, service in SERVICES.items()}


_HANDED_OUT: set[int] = set()
"""The ports ``free_port`` gave this process: never the same one twice."""
_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port() -> int:
    """A port nothing listens on, for a process started later (a test's or bench's service).

    Below the kernel's range of ephemeral ports (``ip_local_port_range``: 32768 up on Linux),
    never from it: a port the kernel hands out for ``bind(0)`` is free only until the next
    outgoing connection, and with dozens of Kafka and PostgreSQL clients connecting between
    the pick and the service's own bind one took it (``address already in use``, a CI failure
    of test_kafka_rights). Nothing connects from below that range, so a port found free there
    stays free until a listener takes it; random, so that overlapping runs rarely meet, and
    tried with a bind, so that when they do the next one is taken."""
    ephemeral_from = 32768
    with contextlib.suppress(OSError, ValueError):
        ephemeral_from = int(_EPHEMERAL.read_text().split()[0])
    lowest = max(1024, ephemeral_from - 12_000)
    for _ in range(1000):
        port = random.randrange(lowest, ephemeral_from)  # noqa: S311  # not a secret
        if port in _HANDED_OUT:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free port from {lowest} to {ephemeral_from}")


def _serving(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _detach_but_die_with_parent() -> None:
    # Own session: Ctrl-C reaches the launcher only, which then stops each service with
    # SIGTERM (finish in-flight work) in order. And if the launcher itself is killed, the
    # kernel sends each service SIGTERM, so no stray service keeps consuming (Linux only).
    # The kernel ties this to the starting *thread*: start services from a long-lived one.
    os.setsid()
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


async def fresh_database(
    postgres_url: str, name: str, component: str, migrations: Traversable, *, seed: bool = True
) -> str:
    """Drop and recreate database ``name``, apply the shared and ``migrations`` files to it,
    and return its URL. ``postgres_url`` is the server's URL without a database name;
    ``migrations`` is a package resource (``migrations_of``) or a plain ``Path``."""
    admin = await asyncpg.connect(f"{postgres_url}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{postgres_url}/{name}"
    await migrate(url, component, migrations, data_import=data_import_of(component))
    await grant(url, LOCAL_SERVICE_USER)
    if component == "specialists" and seed:  # the starting registry, through its CSV import
        from specialists.seed import seed as seed_registry

        await seed_registry(url)
    return url


async def fresh_databases(postgres_url: str, prefix: str) -> dict[str, str]:
    """A fresh, migrated ``<prefix><service>`` database for each service.

    Tests and benchmarks get databases of their own, so what `make run` has stored (a
    specialist's caseload filling up, say) never changes their outcome.
    """
    return {
        service: await fresh_database(
            postgres_url, f"{prefix}{service}", service, migrations_of(service)
        )
        for service in SERVICES
    }


def migrations_of(service: str) -> Traversable:
    """The SQL shipped in ``service``'s package (what `python -m shared.migrations` applies)."""
    return service_migrations(service)


def service_url(owner_url: str) -> str:
    """The URL a service connects with to the database ``owner_url`` names: as the services'
    role, which row-level security binds to the councils it acts for (the owner acts for
    every council: ``shared.migrations.owner_connection``)."""
    return with_user(owner_url, LOCAL_SERVICE_USER, LOCAL_SERVICE_USER)


def database_env(urls: dict[str, str]) -> dict[str, str]:
    """The environment variables that point each service at its database (``urls``: the
    owner's, as ``fresh_databases`` returns them)."""
    return {
        SERVICES[service].database_url_variable: service_url(url) for service, url in urls.items()
    }


@dataclass(frozen=True)
class Split:
    """A service run as two processes (``PROCESS_PARTS``), as the chart's ``processes`` runs
    it as two deployments: one named ``<service>-<parts>`` runs ``parts`` (with its own HTTP
    routes, unused), the service's own process the rest and its routes."""

    service: str
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Split:
        """``notifications:workers``, ``referrals:consumers,workers``."""
        service, _, parts = text.partition(":")
        chosen = tuple(dict.fromkeys(p.strip() for p in parts.split(",") if p.strip()))
        if service not in SERVICES or not chosen or set(chosen) - set(PROCESS_PARTS):
            raise ValueError(
                f"{text!r}: expected SERVICE:PARTS, a service of {sorted(SERVICES)} and parts "
                f"of {', '.join(PROCESS_PARTS)}"
            )
        return cls(service, chosen)

    @property
    def name(self) -> str:
        return f"{self.service}-{'-'.join(self.parts)}"

    @property
    def rest(self) -> tuple[str, ...]:
        """What the service's own process keeps."""
        return tuple(p for p in PROCESS_PARTS if p not in self.parts)


PRODUCTION_SPLITS = (Split("notifications", ("workers",)),)
"""The services ``deploy/helm/production-values.yaml`` runs as two deployments (its
``processes``; tests/deploy checks they agree): notifications' sender apart from its consumers
and Notify's receipts. The bench and the soak run them so by default: they measure what
production runs (#25). Referrals' pipeline apart from its intake is measured with ``--split
referrals:consumers,workers`` (docs/benchmark.md: it cost CPU here and bought nothing)."""


@dataclass
class Platform:
    """The four services, each under uvicorn, logging to ``<log_dir>/<service>.log``; a
    service split (``splits``) runs as two processes, each logging under its own name."""

    log_dir: Path = REPO_ROOT / ".local" / "logs"
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=lambda: dict(SERVICE_PORTS))
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    """More variables for one service only (e.g. its own Kafka credentials)."""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    splits: list[Split] = field(default_factory=list)
    """Services run as two processes each; ``split`` adds one."""

    def split(self, split: Split, port: int) -> None:
        """Run ``split.service`` as two processes: the second, ``split.name``, on ``port``."""
        self.splits.append(split)
        self.ports[split.name] = port

    def service_of(self, process: str) -> str:
        """The service a process (a name in ``ports``) runs."""
        return next((s.service for s in self.splits if s.name == process), process)

    def parts_of(self, process: str) -> dict[str, str]:
        """``PROCESS_PARTS`` for ``process``: none when its service is not split."""
        for split in self.splits:
            if process == split.name:
                return {"PROCESS_PARTS": ",".join(split.parts)}
            if process == split.service:
                return {"PROCESS_PARTS": ",".join(split.rest)}
        return {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, timeout_s: float = 60) -> None:
        # Runs beside each other (make run, tests, bench) are kept apart by their ports, their
        # databases and their Kafka namespace (SEND_NAMESPACE in ``env``), not by refusing.
        busy = [p for p in self.ports.values() if _serving(p)]
        if busy:
            raise RuntimeError(f"ports {busy} are taken: is another run of this kind still up?")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for service in self.ports:
                self._spawn(service)
            self.wait_ready(timeout_s)
        except BaseException:
            # Not started: nothing of it is left running for the caller to stop (a caller's
            # ``finally`` covers only a started platform; a process left behind was reported
            # by the garbage collector in a later test, "subprocess ... is still running").
            self.stop(timeout_s=10)
            raise

    def kill(self, service: str) -> None:
        """SIGKILL one service, as a crashed node: no shutdown code runs."""
        process = self.processes.pop(service)
        process.kill()
        process.wait()

    def restart(self, service: str, timeout_s: float = 60) -> None:
        self._spawn(service)
        self.wait_ready(timeout_s, only={service})

    def _spawn(self, process: str) -> None:
        port = self.ports[process]
        service = self.service_of(process)
        # Development and test runs: development mode (the development identity provider,
        # family-link key, councils and the rest, which production refuses), and the 999 NHS
        # numbers, which are never issued. The family's links (in each message, and from the
        # family view to the plan) go to this run's services, whatever their ports (a run of
        # some services only, a test of one, gets those it has).
        # The workspace calls this run's services and is reached at its own port.
        links = {
            **(
                {"FAMILY_VIEW_URL": self._family_view_url()}
                if {"web", "referrals"} & set(self.ports)
                else {}
            ),
            **(
                {"FAMILY_PLAN_URL": self._family_plan_url()}
                if {"web", "plans"} & set(self.ports)
                else {}
            ),
            # A caseworker's link (in a message to the SEND team, in a partner's answer) opens
            # the workspace's referral page.
            **(
                {
                    "CASEWORKER_VIEW_URL": f"{self.url('web')}/referrals/{{referral_id}}",
                    "REFERRAL_LINK": f"{self.url('web')}/referrals/{{referral_id}}",
                    "TEAM_CASELOAD_URL": f"{self.url('web')}/practitioner",
                    # An adviser's link opens the workspace's adviser page.
                    "ADVISER_VIEW_URL": f"{self.url('web')}/advisers/{{token}}",
                    # The link that confirms a request made on the public form.
                    "REQUEST_CONFIRM_URL": f"{self.url('web')}/family/confirm/{{token}}",
                }
                if "web" in self.ports
                else {}
            ),
        }
        env = {
            "SEND_ENVIRONMENT": "development",
            "ACCEPT_TEST_NHS_NUMBERS": "true",
            **links,
            **{
                f"{name.upper()}_URL": self.url(name)
                for name, svc in SERVICES.items()
                if svc.events and name in self.ports
            },
            **({"PUBLIC_URL": self.url("web")} if "web" in self.ports else {}),
            **os.environ,
            **self.env,
            **self.service_env.get(service, {}),
            **self.parts_of(process),
        }
        with (self.log_dir / f"{process}.log").open("ab") as log:
            self.processes[process] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    f"{service}.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-access-log",
                    "--timeout-graceful-shutdown",
                    "20",
                ],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_detach_but_die_with_parent,
            )

    def _family_view_url(self) -> str:
        """Where the link in each message points: the workspace's family page when it runs,
        else the referrals service's family view (JSON)."""
        if "web" in self.ports:
            return f"{self.url('web')}/family/{{token}}"
        return f"{self.url('referrals')}/v1/family/{{token}}"

    def _family_plan_url(self) -> str:
        """Where the family view's link to the plan points: the workspace's plan page, else
        plans' family JSON."""
        if "web" in self.ports:
            return f"{self.url('web')}/family/{{token}}/plan"
        return f"{self.url('plans')}/v1/family/{{token}}/plan"

    def wait_ready(self, timeout_s: float, only: set[str] | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        pending = set(only or self.ports)
        last: dict[str, str] = {}
        with httpx.Client(timeout=3) as client:
            while pending:
                for service in sorted(pending):
                    process = self.processes.get(service)
                    if process is not None and process.poll() is not None:
                        raise RuntimeError(
                            f"{service} exited with {process.returncode}; "
                            f"see {self.log_dir / (service + '.log')}"
                        )
                    try:
                        response = client.get(f"{self.url(service)}/health/ready")
                        last[service] = response.text
                        # Ready answers 200 on PostgreSQL alone; a run waits for Kafka too,
                        # so that its consumers take the first events it sends.
                        checks = response.json().get("checks", {}) if response.is_success else {}
                        if response.status_code == 200 and all(
                            state == "ok" for state in checks.values()
                        ):
                            pending.discard(service)
                    except httpx.HTTPError as exc:
                        last[service] = type(exc).__name__
                if pending and time.monotonic() > deadline:
                    details = "; ".join(f"{s}: {last.get(s)}" for s in sorted(pending))
                    raise TimeoutError(f"not ready after {timeout_s:.0f}s: {details}")
                if pending:
                    time.sleep(0.2)

    def stop(self, timeout_s: float = 45) -> dict[str, int]:
        """SIGTERM each service (they finish in-flight work), SIGKILL what is left after
        ``timeout_s`` (under the chart's 60 s termination grace period: a service must stop
        within what Kubernetes would give it; a provider call in flight may take its timeout).

        Returns each service's exit code: -15 (-SIGTERM: uvicorn, done, re-raises the signal
        it was stopped by) when it shut down cleanly in time, -9 when it had to be killed.
        """
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for service, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._dump_stacks(service, process.pid)
                process.kill()
                process.wait()
        codes = {service: p.returncode for service, p in self.processes.items()}
        self.processes.clear()
        return codes

    def _dump_stacks(self, service: str, pid: int) -> None:
        """Where a service that would not stop was stuck (py-spy, a development tool), into
        ``<log_dir>/<service>-stuck.txt``, before it is killed."""
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(spy).exists():
            return
        with (self.log_dir / f"{service}-stuck.txt").open("w") as out:
            subprocess.run(
                [spy, "dump", "--pid", str(pid)],  # no --locals: they can hold a child's details
                stdout=out, stderr=subprocess.STDOUT, timeout=30, check=False,
            )  # fmt: skip


@dataclass
class IdentityProvider:
    """The development identity provider (``devtools.dev_identity``) as a process of its own,
    started and stopped the way the services are. Development and tests only.

    Given a ``key_file``, it keeps its signing key there, so tokens survive a restart.
    """

    port: int = IDENTITY_PORT  # `make run`'s; tests pass a free port of their own
    key_file: Path | None = None
    log_dir: Path = REPO_ROOT / ".local" / "logs"
    process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "dev-identity.log"

    def service_env(self, audience: str = DEFAULT_AUDIENCE) -> dict[str, str]:
        """What points a service at this issuer (give it to ``Platform(env=...)``)."""
        return {"OIDC_ISSUER": self.issuer, "OIDC_AUDIENCE": audience}

    def start(self, timeout_s: float = 30) -> None:
        """Start the issuer and return once its discovery document names it."""
        if _serving(self.port):
            raise RuntimeError(f"port {self.port} is taken: is another identity provider up?")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        key_args = [] if self.key_file is None else ["--key-file", str(self.key_file)]
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "devtools.dev_identity",
                    "--port",
                    str(self.port),
                    *key_args,
                ],
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_detach_but_die_with_parent,
            )
        self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        with httpx.Client(timeout=3) as client:
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(
                        f"the identity provider exited with {self.process.returncode}; "
                        f"see {self.log_file}"
                    )
                try:
                    response = client.get(f"{self.issuer}/.well-known/openid-configuration")
                    if response.status_code == 200 and response.json()["issuer"] == self.issuer:
                        return
                    last = f"{response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"identity provider not ready after {timeout_s:.0f}s: {last}"
                    )
                time.sleep(0.1)

    def stop(self, timeout_s: float = 10) -> int | None:
        """SIGTERM the issuer (SIGKILL if it lingers); returns its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return process.returncode
