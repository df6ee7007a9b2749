"""The local GOV.UK Notify (``devtools.local_notify``) as a process of its own, started and
stopped like the services, for `make run` and the end-to-end tests. Development only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from scripts.platform import REPO_ROOT, _detach_but_die_with_parent, _serving

DEFAULT_PORT = 8010
CALLBACK_TOKEN = "local-development-callback-token"  # noqa: S105  # development only, published


@dataclass
class LocalNotifyServer:
    callback_url: str
    port: int = DEFAULT_PORT
    log_dir: Path = REPO_ROOT / ".local" / "logs"
    rate_limit: int | None = None
    """Requests per key per minute before 429; None: Notify's own (3000), which tests rely
    on. The bench lifts it: it measures the platform, not Notify's allowance."""
    answer_after_s: float = 0.0
    """Seconds before it answers a message sent (``--answer-after``): 0, at once."""
    checkout: Path = REPO_ROOT
    """Whose code runs it: another checkout's (a commit's worktree) when a bench compares
    commits (``scripts.bench.local_notify --compare``); its packages go first on the path."""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def service_env(self) -> dict[str, str]:
        """What sends every council's messages through this server (``Platform(env=...)``)."""
        from devtools.local_notify import development_messaging

        messaging = {"*": development_messaging(self.url, CALLBACK_TOKEN)}
        return {"COUNCIL_MESSAGING": json.dumps(messaging)}

    def start(self, timeout_s: float = 30) -> None:
        if _serving(self.port):
            raise RuntimeError(f"port {self.port} is taken: is another local Notify up?")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        options = [] if self.rate_limit is None else ["--rate-limit", str(self.rate_limit)]
        if self.answer_after_s:
            options += ["--answer-after", str(self.answer_after_s)]
        env = None
        if self.checkout != REPO_ROOT:
            from scripts.bench.compare import PACKAGE_DIRS

            path = [str(self.checkout / d) for d in PACKAGE_DIRS]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        with (self.log_dir / "local-notify.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "devtools.local_notify", "--port", str(self.port),
                    "--callback-url", self.callback_url, "--callback-token", CALLBACK_TOKEN,
                    *options,
                ],
                cwd=self.checkout, env=env, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_detach_but_die_with_parent,
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{self.url}/inbox.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the local Notify did not start; see {self.log_dir}")
            time.sleep(0.1)

    def inbox(self) -> list[dict[str, object]]:
        found: list[dict[str, object]] = httpx.get(f"{self.url}/inbox.json", timeout=5).json()
        return found

    def counts(self) -> dict[str, int]:
        """Messages taken, receipts posted, requests refused (429) and the rate limit."""
        found: dict[str, int] = httpx.get(f"{self.url}/counts.json", timeout=5).json()
        return found

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
