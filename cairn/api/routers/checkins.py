"""API v1: checkins (being written)."""

from ninja import Router

router = Router(tags=["checkins"])
