"""Requests without an account: the public request form (a parent or carer, a young person
asking for themselves, or someone at the child's school or college) and the link that
confirms a request.

- ``flow``: the questions, one a page, and the request they make (pure).
- ``routes``: the form's pages, "check your answers", and the confirmation.
- ``evidence``: the form's optional page of files, each sent at once to referrals.
- ``school_form``: the short form for a school or college without an account.
- ``confirming``: the link sent to the contact, and its "Confirm" button.
- ``casework``: the caseworkers' list of requests not taken in, and "Confirmed by phone".
"""

from __future__ import annotations

from web.request import casework, confirming, evidence, routes, school_form

ROUTERS = (confirming.router, evidence.router, school_form.router, routes.router, casework.router)
"""``/request/confirm``, ``/request/evidence`` and ``/request/school`` before the form's
``/request/{slug}``."""
