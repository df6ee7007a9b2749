"""The audit trail for auditors: who read or changed which record, and when, from the four
services' trails at once."""
