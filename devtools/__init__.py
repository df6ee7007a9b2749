"""Development only: stand-ins for the outside world that `make run` and the tests use, and
that never ship. Not among pyproject's packages and not copied by the Dockerfile, so the
production image holds none of them (``tests/deploy/test_dockerfile.py`` checks it).

- ``devtools.local_notify``: a local GOV.UK Notify (its process: ``scripts/local_notify.py``).

The development identity provider belongs here too, and is to move here from ``shared``.
"""
