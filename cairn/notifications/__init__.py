"""Outgoing notifications: e-mail (`emails`) and signed outbound webhooks (`webhooks`); chat
later (STYLE.md layout). Called by services, never the other way round."""
