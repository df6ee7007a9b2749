"""A real ClamAV daemon for tests: Debian's ``clamd`` (``deploy/local/clamav.sh`` installs it
when missing), run as this user on a free port with a signature database the test writes
itself: ClamAV's signature mirrors cannot be reached here, and a ``.hdb`` line (a file's MD5,
its size and a name) is enough for the real daemon to find that file."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.platform import free_port

REPO = Path(__file__).resolve().parents[1]
SIGNATURE = "Send.Test.Advice-1"
"""The name the test's signature gives what it finds (clamd reports it ``.UNOFFICIAL``)."""


def clamd_path() -> str:
    """Debian's clamd, installed first when missing."""
    found = subprocess.run(
        ["bash", str(REPO / "deploy" / "local" / "clamav.sh"), "--paths"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(line.split("=", 1) for line in found.split())["CLAMD"]


@contextmanager
def clamd(folder: Path, infected: bytes, *, start_within_s: float = 60) -> Iterator[str]:
    """A running clamd whose only signature is ``infected``'s; yields its address
    (``tcp://127.0.0.1:<port>``, as ``CLAMD_ADDRESS`` takes it)."""
    database = folder / "signatures"
    database.mkdir(parents=True, exist_ok=True)
    (database / "send-tests.hdb").write_text(
        f"{hashlib.md5(infected).hexdigest()}:{len(infected)}:{SIGNATURE}\n"  # noqa: S324  # ClamAV's .hdb format is MD5
    )
    port = free_port()
    config = folder / "clamd.conf"
    config.write_text(
        f"DatabaseDirectory {database}\nTCPSocket {port}\nTCPAddr 127.0.0.1\n"
        f"Foreground yes\nLogFile {folder / 'clamd.log'}\nStreamMaxLength 30M\n"
    )
    log = (folder / "clamd.out").open("wb")
    daemon = subprocess.Popen([clamd_path(), "-c", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + start_within_s
        while not _answers(port):
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"clamd did not start; see {folder / 'clamd.out'}")
            time.sleep(0.1)  # polling a port: the daemon says nothing else when it is ready
        yield f"tcp://127.0.0.1:{port}"
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        log.close()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"zPING\0")
            return conn.recv(16).startswith(b"PONG")
    except OSError:
        return False
