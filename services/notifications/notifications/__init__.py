"""Notifications: tells families what happened and where to look."""
