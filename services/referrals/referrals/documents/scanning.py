"""A malware scan of every upload through a ClamAV daemon, when one is configured
(``CLAMD_ADDRESS``): clamd's ``INSTREAM`` command, over TCP or a Unix socket. An infected file
is refused; a daemon that cannot be reached or answers an error refuses the upload too (as
"try again later"): nothing unscanned is stored while a scan is configured.

The protocol is a few lines (``zINSTREAM\\0``, chunks each led by its length as 4 bytes, a
zero length to end, one reply ending ``\\0``), written here on asyncio streams: the ``clamd``
package on PyPI is synchronous and unmaintained since 2014.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK = 64 * 1024


class ScanUnavailable(RuntimeError):
    """The daemon could not be reached, or could not scan (its reply, never the file's)."""


@dataclass(frozen=True)
class Infected:
    """What the daemon found (a signature's name, e.g. ``Win.Test.EICAR_HDB-1``)."""

    signature: str


class Scanner:
    """Scans bytes through clamd at ``address``: ``tcp://host:port`` or ``unix:///path``."""

    def __init__(self, address: str, *, timeout_s: float = 30.0) -> None:
        parts = urlsplit(address)
        if parts.scheme not in ("tcp", "unix") or not (parts.hostname or parts.path):
            raise ValueError(f"{address!r}: give tcp://host:port or unix:///path/to/clamd.ctl")
        self.address = address
        self.timeout_s = timeout_s

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        parts = urlsplit(self.address)
        if parts.scheme == "unix":
            return await asyncio.open_unix_connection(parts.path)
        return await asyncio.open_connection(parts.hostname, parts.port or 3310)

    async def scan(self, content: bytes) -> Infected | None:
        """What clamd found in ``content`` (None: nothing), or ``ScanUnavailable``."""
        try:
            async with asyncio.timeout(self.timeout_s):
                reader, writer = await self._connect()
                try:
                    writer.write(b"zINSTREAM\0")
                    for start in range(0, len(content), CHUNK):
                        chunk = content[start : start + CHUNK]
                        writer.write(struct.pack(">I", len(chunk)) + chunk)
                        await writer.drain()
                    writer.write(struct.pack(">I", 0))
                    await writer.drain()
                    reply = (await reader.readuntil(b"\0")).rstrip(b"\0").decode()
                finally:
                    writer.close()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, UnicodeDecodeError) as exc:
            raise ScanUnavailable(f"clamd could not be asked ({type(exc).__name__})") from exc
        return verdict(reply)


def verdict(reply: str) -> Infected | None:
    """clamd's reply to INSTREAM: ``stream: OK``, ``stream: <name> FOUND``, or an error."""
    answer = reply.removeprefix("stream:").strip()
    if answer == "OK":
        return None
    if answer.endswith(" FOUND"):
        return Infected(answer.removesuffix(" FOUND").strip())
    raise ScanUnavailable(f"clamd could not scan the file ({answer[:100]})")
