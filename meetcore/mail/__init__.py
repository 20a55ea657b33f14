"""Outgoing mail: the outbox table, the message builder and the SMTP sender (see docs/mail.md)."""
