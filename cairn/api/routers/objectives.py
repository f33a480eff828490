"""API v1: objectives (being written)."""

from ninja import Router

router = Router(tags=["objectives"])
