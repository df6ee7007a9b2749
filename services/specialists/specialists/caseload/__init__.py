"""A practitioner's own caseload: the children allocated to their registry entry (role
``specialist``, scoped by the ``registry_entry`` claim), accepting an allocation, the first
session's date, the sessions given against the plan's provision, and ending an allocation."""
