"""Tests' ways with an app's typed state (``shared.state``): a part replaced (a fake identity
provider, the test's own open database), or a bare app given only what its routes read."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from prometheus_client import CollectorRegistry

from shared.db import Database
from shared.operations import Operations
from shared.state import ServiceState, install, service_state
from shared.unit_of_work import Work


def with_state(app: object, **changes: Any) -> None:
    """``app``'s state with ``changes`` (fields of ``ServiceState``)."""
    install(app, dataclasses.replace(service_state(app), **changes))


def bare_state(
    database: Database | None = None,
    work: Work | None = None,
    own: object = None,
    **fields: Any,
) -> ServiceState:
    """The state of an app made of some routers only: what connections, units of work, the
    service's own state (and ``fields`` given) need; nothing else is read by them (so given as
    nothing)."""
    nothing = cast("Any", None)
    return ServiceState(
        **{
            "operations": Operations(checks={}, registry=CollectorRegistry(), asyncapi=dict),
            "public_docs": False,
            "settings": nothing,
            "database": database,
            "outbox": work.outbox if work else nothing,
            "work": work,
            "broker": nothing,
            "identity_provider": nothing,
            "family_link_key": nothing,
            "own": own,
            **fields,
        }
    )
