"""Cairn's REST API v1: a second face over the same services and the same gate as the UI.

Routers live one per domain in `cairn.api.routers`; schemas next to them.
"""

from __future__ import annotations

from ninja import NinjaAPI, Swagger

from cairn.api import errors
from cairn.api.auth import MemberSessionAuth, TokenAuth
from cairn.api.routers import alignment, checkins, objectives, orgs, webhooks

api = NinjaAPI(
    title="Cairn API",
    version="1",
    description=(
        "Objectives, key results, check-ins, dependencies and alignment of one organization, "
        "as the calling member may see them. Authenticate with `Authorization: Bearer "
        "<token>` (create a token on your settings page or with `cairn token create`). Errors "
        'share one shape: `{"detail": ..., "code": ...}`; anything you may not see is a 404.'
    ),
    auth=[TokenAuth(), MemberSessionAuth(csrf=True)],
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": True}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

api.add_router("", orgs.router)
api.add_router("", objectives.router)
api.add_router("", checkins.router)
api.add_router("", alignment.router)
api.add_router("", webhooks.router)
