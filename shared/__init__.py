"""Mechanisms every service uses, and no business rule: events, settings, broker, database,
migrations, outbox, inbox, telemetry."""
