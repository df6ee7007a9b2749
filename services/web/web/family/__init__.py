"""The family's pages: the link in each message opens where things stand, in plain words, on
a phone first, then the child's plan, its PDF and the comment form. No account: the link's
signed token is the key, checked by the services (referrals and plans); the workspace holds
no key to it and keeps no record of the child.

- ``link``: the link kept in the family's session, so that it leaves the address bar.
- ``status``: where things stand (referrals' family view), and the link's own addresses.
- ``plan``: the plan (plans' family JSON), its PDF and the comments.
- ``documents``: the documents the family may see (their letters, what they sent).
"""

from __future__ import annotations

from web.family import documents, plan, status

ROUTERS = (plan.router, documents.router, status.router)
"""The plan's fixed paths (``/family/plan``) first, before the link's (``/family/{token}``)."""
