"""Development only: stand-ins for the outside world that `make run` and the tests use, and
that never ship. Not among pyproject's packages and not copied by the Dockerfile, so the
production image holds none of them (``tests/deploy/test_dockerfile.py`` checks it).

- ``devtools.local_notify``: a local GOV.UK Notify (its process: ``scripts/local_notify.py``).
- ``devtools.dev_identity``: the development identity provider (an OpenID Connect issuer for
  the seeded staff and partners; ``python -m devtools.dev_identity``), with its grants
  (``dev_identity_grants``), browser sign-in (``dev_identity_signin``), seed
  (``dev_identity_seed``) and client (``dev_identity_client``).
"""
