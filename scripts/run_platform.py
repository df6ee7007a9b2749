"""`make run`: start the four services, send a sample referral, print its journey as it
happens, then keep running until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import time
from datetime import date

import httpx

from scripts.platform import Platform

SAMPLE_REFERRAL = {
    "local_authority": "E08000035",
    "requested_by": "school",
    "primary_need": "SLCN",
    "child": {
        "given_name": "Sample",
        "family_name": "Child",
        "date_of_birth": str(date(date.today().year - 7, 3, 14)),
        "nhs_number": "9990000018",
        "postcode": "LS6 2AB",
    },
    "family_contact": {"name": "Sample Parent", "email": "parent@example.org"},
}
JOURNEY_END = "family_notified"


def follow(platform: Platform, timeout_s: float = 60) -> None:
    with httpx.Client(base_url=platform.url("referrals"), timeout=5) as client:
        created = client.post("/v1/referrals", json=SAMPLE_REFERRAL)
        created.raise_for_status()
        referral_id = created.json()["id"]
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
            if any(e["step"] == JOURNEY_END for e in timeline):
                return
            time.sleep(0.05)
        print(f"  ... the family alert did not arrive within {timeout_s:.0f}s; see .local/logs/")


def main() -> None:
    platform = Platform()
    print("Starting referrals, plans, specialists and notifications ...")
    platform.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop like Ctrl-C
    try:
        follow(platform)
        print("\nThe platform is running. Ctrl-C stops it.")
        for service in platform.ports:
            print(f"  {service:<14} {platform.url(service)}/docs   (API docs)")
        print("  logs           .local/logs/<service>.log")
        print("  Kafka and PostgreSQL keep running after Ctrl-C; `make down` stops them.")
        while True:
            time.sleep(1)
            for service, process in platform.processes.items():
                if process.poll() is not None:
                    print(f"{service} stopped (exit {process.returncode}); see .local/logs/")
                    return
    except KeyboardInterrupt:
        print("\nStopping ...")
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
