"""API v1: webhooks (being written)."""

from ninja import Router

router = Router(tags=["webhooks"])
