"""A real S3-compatible server for tests, without Docker: moto's standalone server
(``moto.server``, the same HTTP API as AWS's S3) in a process of its own on a free port,
with the bucket the test names created in it. A server that does not start fails the test
(never a skip)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from pydantic import SecretStr
from referrals.documents.s3 import Bucket

from scripts.platform import free_port

ACCESS_KEY_ID, SECRET_ACCESS_KEY = "send-tests", "send-tests-secret"  # moto takes any keys
REGION = "eu-west-2"


@contextmanager
def s3_server(folder: Path, bucket: str, *, start_within_s: float = 60) -> Iterator[Bucket]:
    """A running moto server with ``bucket`` in it; yields the bucket as the S3 store takes it."""
    port = free_port()
    log = (folder / "moto.out").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=log,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + start_within_s
        while not _answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto's S3 server did not start; see {folder / 'moto.out'}")
            time.sleep(0.1)  # polling a port: the server says nothing else when it is ready
        found = Bucket(
            name=bucket,
            region=REGION,
            endpoint_url=f"http://127.0.0.1:{port}",
            access_key_id=SecretStr(ACCESS_KEY_ID),
            secret_access_key=SecretStr(SECRET_ACCESS_KEY),
        )
        client = boto3.session.Session().client(
            "s3",
            region_name=REGION,
            endpoint_url=found.endpoint_url,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )
        client.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        client.close()
        yield found
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def objects_in(found: Bucket) -> set[str]:
    """The keys of every object in the bucket (what the tests check was kept or removed)."""
    assert found.access_key_id is not None
    assert found.secret_access_key is not None
    client = boto3.session.Session().client(
        "s3",
        region_name=found.region,
        endpoint_url=found.endpoint_url,
        aws_access_key_id=found.access_key_id.get_secret_value(),
        aws_secret_access_key=found.secret_access_key.get_secret_value(),
    )
    try:
        listed = client.list_objects_v2(Bucket=found.name)
        return {item["Key"] for item in listed.get("Contents", []) if "Key" in item}
    finally:
        client.close()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
