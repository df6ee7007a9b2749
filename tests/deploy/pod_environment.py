"""What a rendered chart gives a service's pod: its environment, each Secret's key filled in
with a stand-in, and each mounted Secret's files written as test files (a Kafka CA, a user's
certificate and key), so the service's settings and app can be built from exactly that."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.deploy.conftest import Obj, Rendered, containers, env_of

FULLNAME = "send-send-platform"

SMTP = {"host": "smtp.example.gov.uk", "sender": "send@example.gov.uk"}
SECRET_VALUES = {  # what the council's Secrets would hold (the chart names them only)
    "FAMILY_LINK_KEY": "0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
    "SESSION_KEYS": "fedcba9876543210ZYXWVUTSRQPONMLKJIHGFEDCBA",
    "COUNCIL_MESSAGING": json.dumps({"*": {"email": "smtp", "sms": None, "smtp": SMTP}}),
}


def deployment(rendered: Rendered, service: str) -> Obj:
    return rendered.one("Deployment", f"{FULLNAME}-{service}")


def service_environment(rendered: Rendered, service: str) -> dict[str, str]:
    """The environment the chart gives ``service``'s pods (or a process's apart,
    ``<service>-<name>``: services.<name>.processes), each Secret's key filled in."""
    (container,) = containers(deployment(rendered, service))
    database = container["name"]  # the service's, a process's too
    found: dict[str, str] = {}
    for name, var in env_of(container).items():
        if "value" in var:
            found[name] = str(var["value"])
        elif name.endswith("_DATABASE_URL"):
            found[name] = f"postgresql://{database}_app:from-the-vault@db.internal:5432/{database}"
        else:
            found[name] = SECRET_VALUES.get(name, "from-the-vault")
    return found


def _certificate(key: ec.EllipticCurvePrivateKey, name: str) -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def _stand_in(item: str, key: ec.EllipticCurvePrivateKey) -> bytes:
    """A test file for a Secret's key: a PEM certificate or key where one is expected (one
    key per Secret, so a user's certificate and key belong together)."""
    if item.endswith(".key"):
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    if item.endswith((".crt", ".pem")):
        return _certificate(key, item)
    return b"from-the-vault"


def pod_environment(rendered: Rendered, service: str, files: Path) -> dict[str, str]:
    """``service_environment``, with every path under a mounted Secret moved to a test file
    of the same name under ``files`` (made here)."""
    environment = service_environment(rendered, service)
    pod = deployment(rendered, service)["spec"]["template"]["spec"]
    (container,) = containers(deployment(rendered, service))
    secrets = {v["name"]: v["secret"] for v in pod.get("volumes", []) if "secret" in v}
    for mount in container.get("volumeMounts", []):
        secret = secrets.get(mount["name"])
        if secret is None:
            continue
        folder = files / mount["name"]
        folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        for item in secret.get("items", []):
            (folder / item["path"]).write_bytes(_stand_in(item["path"], key))
        prefix = mount["mountPath"].rstrip("/") + "/"
        for name, value in environment.items():
            if value.startswith(prefix):
                environment[name] = str(folder / value.removeprefix(prefix))
    return environment
