"""API v1: alignment (being written)."""

from ninja import Router

router = Router(tags=["alignment"])
