"""Kafka connection security from the environment: what the Helm chart sets (KAFKA_SECURITY_*,
KAFKA_SASL_*, KAFKA_SSL_*) reaches every Kafka client the platform makes."""

from __future__ import annotations

import datetime as dt
import functools
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from shared.broker import create_broker
from shared.settings import KafkaSettings


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / f"{name}.crt", folder / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_plaintext_is_the_default_and_adds_nothing() -> None:
    settings = KafkaSettings()
    assert settings.kafka_security() is None
    assert settings.kafka_client_options() == {"bootstrap_servers": "127.0.0.1:9092"}


def test_scram_over_tls_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca, _ = _self_signed(tmp_path, "cluster-ca")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "send-kafka-bootstrap:9093")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "send-referrals")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "from-the-kafkauser-secret")
    monkeypatch.setenv("KAFKA_SSL_CAFILE", str(ca))
    settings = KafkaSettings()

    options = settings.kafka_client_options()
    context = options.pop("ssl_context")
    assert options == {
        "bootstrap_servers": "send-kafka-bootstrap:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "send-referrals",
        "sasl_plain_password": "from-the-kafkauser-secret",
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "cluster-ca"),),)]
    assert "from-the-kafkauser-secret" not in repr(settings)  # a SecretStr


def test_tls_client_authentication_loads_the_users_certificate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca, _ = _self_signed(tmp_path, "cluster-ca")
    cert, key = _self_signed(tmp_path, "send-plans")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("KAFKA_SSL_CAFILE", str(ca))
    monkeypatch.setenv("KAFKA_SSL_CERTFILE", str(cert))
    monkeypatch.setenv("KAFKA_SSL_KEYFILE", str(key))
    options = KafkaSettings().kafka_client_options()
    assert options["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in options
    assert isinstance(options["ssl_context"], ssl.SSLContext)

    monkeypatch.setenv("KAFKA_SSL_KEYFILE", str(ca))  # a key that is not the certificate's
    with pytest.raises(ssl.SSLError):
        KafkaSettings().kafka_client_options()


def test_the_services_broker_connects_with_the_same_security() -> None:
    settings = KafkaSettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="send-notifications",
        kafka_sasl_password="secret",
    )
    broker = create_broker(
        settings, client_id="t", tracer_provider=TracerProvider(), registry=CollectorRegistry()
    )
    builder = broker.config.broker_config.builder
    assert isinstance(builder, functools.partial)  # AIOKafkaConsumer with its options
    consumer_options = builder.keywords
    assert consumer_options["security_protocol"] == "SASL_PLAINTEXT"
    assert consumer_options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert consumer_options["sasl_plain_username"] == "send-notifications"


def test_an_unknown_protocol_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "TLS")
    with pytest.raises(ValueError, match="kafka_security_protocol"):
        KafkaSettings()
