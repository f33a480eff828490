"""Cairn's REST API v1: a second face over the same services and the same gate as the UI.

Routers live one per domain in `cairn.api.routers`; schemas next to them.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI, Swagger
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from cairn.api import errors
from cairn.api.auth import MemberSessionAuth, TokenAuth
from cairn.api.routers import alignment, checkins, closing, objectives, orgs, reports, webhooks


class CairnAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        errors.document_errors(schema)
        return schema

    def get_openapi_operation_id(self, operation: Operation) -> str:
        # "orgs_list_members" rather than "cairn_api_routers_orgs_list_members": generated
        # clients name their methods after it.
        module = operation.view_func.__module__.rsplit(".", 1)[-1]
        return f"{module}_{operation.view_func.__name__}"


api = CairnAPI(
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
api.add_router("", reports.router)
api.add_router("", closing.router)
