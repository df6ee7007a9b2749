"""Logging set-up of a service process. Log lines hold ids only, never names, contact
details or needs."""

from __future__ import annotations

import logging


def configure_logging(service: str, level: str) -> None:
    """One format for the whole process (uvicorn configures only its own loggers)."""
    logging.basicConfig(
        level=level, format=f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s"
    )
