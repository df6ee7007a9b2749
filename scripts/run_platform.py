"""`make run`: start the development identity provider and the four services, send a sample
referral, print its journey as it happens and how to sign in, then keep running until Ctrl-C."""

from __future__ import annotations

import secrets
import signal
import sys
import time
from datetime import date
from typing import Any

import httpx
from referrals.partner_example import random_test_nhs_number

from devtools.dev_identity import fetch_token_sync
from devtools.dev_identity_seed import DEV_CLIENT_SECRET, DEV_PASSWORD, PARTNERS, STAFF
from scripts import trace_ui
from scripts.local_notify import LocalNotifyServer
from scripts.platform import REPO_ROOT, IdentityProvider, Platform
from shared.services import SERVICES


def demo_nhs_number() -> str:
    """A random NHS number of the 999 range, kept for tests and never issued, whose Modulus 11
    check digit is valid (the services take them with ACCEPT_TEST_NHS_NUMBERS)."""
    return random_test_nhs_number()


def sample_referral() -> dict[str, Any]:
    """A sample support request for a child of its own (one open referral per child)."""
    return {
        "local_authority": "E08000035",
        "requested_by": "school",
        "primary_need": "SLCN",
        "child": {
            "given_name": "Sample",
            "family_name": f"Child {secrets.token_hex(3)}",
            "date_of_birth": str(date(date.today().year - 7, 3, 14)),
            "nhs_number": demo_nhs_number(),
            "postcode": "LS6 2AB",
        },
        "family_contact": {"name": "Sample Parent", "email": "parent@example.org"},
    }


JOURNEY_END = "family_notified"
MESSAGES = 2  # request received, then specialist matched (or waiting list): each delivered
SAMPLE_USER = "leeds-caseworker"  # of the sample referral's council, Leeds
# Kept across runs, so a token fetched before a restart of `make run` still works after it.
IDENTITY_KEY = REPO_ROOT / ".local" / "dev-identity" / "key.pem"


def follow(platform: Platform, identity: IdentityProvider, timeout_s: float = 60) -> str:
    """Send the sample referral as a Leeds caseworker and print its journey; returns its id."""
    token = fetch_token_sync(identity.issuer, SAMPLE_USER)
    with httpx.Client(
        base_url=platform.url("referrals"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    ) as client:
        created = client.post("/v1/referrals", json=sample_referral())
        created.raise_for_status()
        referral_id: str = created.json()["id"]
        print(f"\nSample referral {referral_id} sent. Its journey:\n")
        print(f"  {'step':<22}{'service':<16}{'since referral':>16}")
        shown = 0
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            timeline = client.get(f"/v1/referrals/{referral_id}").json()["timeline"]
            for entry in timeline[shown:]:
                seconds = entry["seconds_since_referral"]
                print(f"  {entry['step']:<22}{entry['service']:<16}{seconds * 1000:>13.0f} ms")
            shown = len(timeline)
            if sum(e["step"] == JOURNEY_END for e in timeline) >= MESSAGES:
                return referral_id
            time.sleep(0.05)
        print(f"  ... the family alert did not arrive within {timeout_s:.0f}s; see .local/logs/")
        return referral_id


def show_inbox(notify: LocalNotifyServer, referral_id: str) -> None:
    """The sample family's messages as they arrived at the local GOV.UK Notify."""
    reference = referral_id[:8].upper()
    print(f"\nThe family's messages, in the local GOV.UK Notify's inbox ({notify.url}/):")
    for message in notify.inbox():
        body = str(message.get("body", ""))
        if reference not in body:
            continue
        to = message.get("email_address") or message.get("phone_number")
        print(f"\n  to {to} ({message['type']}, {message['status']}): {message.get('subject')}")
        for line in body.splitlines():
            print(f"    {line}" if line else "")


def show_trace(referral_id: str) -> None:
    """The address of the sample referral's journey, one trace, in the local Zipkin."""
    services = {name for name, entry in SERVICES.items() if entry.events}
    try:
        traces = trace_ui.journey_trace(referral_id, services, timeout_s=15)
    except (TimeoutError, httpx.HTTPError) as exc:
        print(f"\nIts trace is not in Zipkin ({trace_ui.ZIPKIN_URL}/zipkin/) yet: {exc}")
        return
    (journey,) = [t for t in traces if services <= trace_ui.services_of(t)][:1]
    trace_id = journey[0]["traceId"]
    print(f"\nIts whole journey, one trace ({len(journey)} spans, every service):")
    print(f"  {trace_ui.trace_address(trace_id)}")


def sign_in_help(identity: IdentityProvider, referrals_url: str, referral_id: str) -> str:
    """How a person at a terminal gets a token and calls the API with it."""
    token_request = (
        f"curl -s -d grant_type=password -d username={SAMPLE_USER} -d password={DEV_PASSWORD} "
        f"{identity.issuer}/token"
    )
    parse_answer = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])'"
    return "\n".join(
        [
            f"Sign in (development identity provider at {identity.issuer}; "
            "development and tests only):",
            f"  TOKEN=$({token_request} | {parse_answer})",
            f'  curl -H "Authorization: Bearer $TOKEN" {referrals_url}/v1/referrals/{referral_id}',
            f"Seeded users: {', '.join(STAFF)} (password: {DEV_PASSWORD})",
            f"Partner clients (grant_type=client_credentials): {', '.join(PARTNERS)} "
            f"(client_secret: {DEV_CLIENT_SECRET})",
        ]
    )


def main() -> None:
    identity = IdentityProvider(key_file=IDENTITY_KEY)
    platform = Platform(env=identity.service_env())
    notify = LocalNotifyServer(callback_url=f"{platform.url('notifications')}/v1/notify/receipts")
    platform.env.update(notify.service_env())
    platform.env.update(trace_ui.service_env())  # Zipkin, started by `make run` first
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop like Ctrl-C
    try:
        print(f"Starting the development identity provider at {identity.issuer} ...")
        identity.start()
        print(f"Starting a local GOV.UK Notify at {notify.url} (development only) ...")
        notify.start()
        print("Starting referrals, plans, specialists, notifications and the workspace ...")
        platform.start()
        referral_id = follow(platform, identity)
        show_inbox(notify, referral_id)
        show_trace(referral_id)
        print(f"\n{sign_in_help(identity, platform.url('referrals'), referral_id)}")
        print("\nThe platform is running. Ctrl-C stops it.")
        print(
            f"  workspace      {platform.url('web')}/   (sign in as {SAMPLE_USER}, password "
            f"{DEV_PASSWORD}; the family's page: the link in their message above)"
        )
        print(
            f"                 the sample referral: {platform.url('web')}/referrals/{referral_id}"
        )
        for service, entry in SERVICES.items():
            if entry.events:
                print(f"  {service:<14} {platform.url(service)}/docs   (API docs)")
        print(f"  local Notify   {notify.url}/   (every message sent, as the family sees it)")
        print(f"  traces         {trace_ui.ZIPKIN_URL}/zipkin/   (Zipkin: every service's spans)")
        print("  logs           .local/logs/<service>.log, .local/logs/dev-identity.log")
        print("  Kafka and PostgreSQL keep running after Ctrl-C; `make down` stops them.")
        while True:
            time.sleep(1)
            processes = {
                **platform.processes,
                "dev-identity": identity.process,
                "local-notify": notify.process,
            }
            for name, process in processes.items():
                if process is not None and process.poll() is not None:
                    print(f"{name} stopped (exit {process.returncode}); see .local/logs/")
                    return
    except KeyboardInterrupt:
        print("\nStopping ...")
    finally:
        platform.stop()
        notify.stop()
        identity.stop()


if __name__ == "__main__":
    main()
