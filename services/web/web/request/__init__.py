"""Requests without an account: the public request form (a parent or carer, a young person
asking for themselves, or someone at the child's school or college) and the link that
confirms a request.

- ``flow``: the questions, one a page, and the request they make (pure).
- ``routes``: the form's pages, "check your answers", and the confirmation.
- ``confirming``: the link sent to the contact, and its "Confirm" button.
- ``casework``: the caseworkers' list of requests not taken in, and "Confirmed by phone".
"""

from __future__ import annotations

from web.request import casework, confirming, routes

ROUTERS = (confirming.router, routes.router, casework.router)
"""``/request/confirm`` before the form's ``/request/{slug}``."""
