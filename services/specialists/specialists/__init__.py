"""Specialists: matches each plan to a specialist close to home, or waitlists it."""
