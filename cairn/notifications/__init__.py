"""Outgoing notifications: e-mail now; chat and outbound webhooks later (STYLE.md layout)."""
