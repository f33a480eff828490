"""One error shape for the whole API: `{"detail": ..., "code": ...}` (plus `field` for bad
input). 404 for anything the caller may not see, never 403 (which would confirm it exists)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from cairn.api.auth import CsrfFailed, NoOrganization, RateLimited, ReadOnlyToken
from cairn.okrs.closing import PeriodClosed


class Error(Schema):
    detail: str
    code: str = Field(
        description="Stable machine-readable code: not_found, invalid, unauthorized, forbidden, "
        "read_only_token, csrf_failed, organization_required, conflict, period_closed, "
        "rate_limited."
    )
    field: str | None = Field(None, description="The input field at fault, for `invalid`.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"detail": "Not found.", "code": "not_found", "field": None},
                {
                    "detail": "Input should be 'admin', 'member' or 'viewer'",
                    "code": "invalid",
                    "field": "role",
                },
            ]
        }
    }


class Conflict(Exception):
    """An edit that lost a race: the object changed since the caller read it."""


def error(
    api: NinjaAPI, request: HttpRequest, status: int, detail: str, code: str, **extra: Any
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)


def _first_validation_message(exc: ValidationError) -> tuple[str | None, str]:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            return (None if name == "__all__" else name), " ".join(errors)
    return None, " ".join(exc.messages)


_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_SAFE_METHODS = ("get", "head", "options")
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error responses to every operation of an OpenAPI schema, so that a
    client (or schemathesis) knows the shape of every answer. A router that declares a code
    itself (e.g. 409 on a PATCH) keeps its own description."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error", Error.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _HTTP_METHODS:
                continue
            codes = {
                "404": "Not found, or not visible to the caller (`not_found`).",
                "422": "Invalid input; `field` names the field (`invalid`).",
            }
            if operation.get("security"):
                codes |= {
                    "400": "A browser session of a person in several organizations must send "
                    "the X-Cairn-Organization header (`organization_required`).",
                    "401": "No valid token or session (`unauthorized`).",
                    "429": "Rate limit reached; see the Retry-After header (`rate_limited`).",
                }
            if method not in _SAFE_METHODS:
                codes["409"] = (
                    "The period is closed and its OKRs read-only (`period_closed`), or the "
                    "item changed since it was read (`conflict`)."
                )
                codes["403"] = (
                    "No right to do this (`forbidden`), a read-only token (`read_only_token`) "
                    "or a session without its CSRF token (`csrf_failed`)."
                )
            # ninja keys the responses it knows by int; JSON keys are strings.
            responses = {str(code): value for code, value in operation.get("responses", {}).items()}
            for code, description in codes.items():
                responses.setdefault(code, {"description": description, "content": _ERROR_REF})
            operation["responses"] = dict(sorted(responses.items()))
    return schema


def install(api: NinjaAPI) -> None:
    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error(api, request, 404, _("Not found."), "not_found")

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error(api, request, 403, str(exc) or _("You cannot do that."), "forbidden")

    @api.exception_handler(ReadOnlyToken)
    def read_only(request: HttpRequest, exc: ReadOnlyToken) -> HttpResponse:
        return error(api, request, 403, _("This token is read-only."), "read_only_token")

    @api.exception_handler(CsrfFailed)
    def csrf_failed(request: HttpRequest, exc: CsrfFailed) -> HttpResponse:
        return error(
            api,
            request,
            403,
            _("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie."),
            "csrf_failed",
        )

    @api.exception_handler(NoOrganization)
    def no_org(request: HttpRequest, exc: NoOrganization) -> HttpResponse:
        return error(
            api,
            request,
            400,
            _("Say which organization: send the X-Cairn-Organization header with its slug."),
            "organization_required",
        )

    @api.exception_handler(PeriodClosed)
    def period_closed(request: HttpRequest, exc: PeriodClosed) -> HttpResponse:
        return error(api, request, 409, " ".join(exc.messages), "period_closed")

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        field, message = _first_validation_message(exc)
        return error(api, request, 422, message, "invalid", field=field)

    @api.exception_handler(NinjaValidationError)
    def schema_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        location = [str(part) for part in first.get("loc", ()) if part not in ("body", "payload")]
        field = ".".join(location[1:] if location[:1] == ["query"] else location) or None
        return error(
            api,
            request,
            422,
            str(first.get("msg", _("Invalid input."))),
            "invalid",
            field=field,
        )

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = error(
            api,
            request,
            401,
            _("Send a valid token: Authorization: Bearer <token>."),
            "unauthorized",
        )
        response["WWW-Authenticate"] = 'Bearer realm="cairn"'
        return response

    @api.exception_handler(RateLimited)
    def too_many(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = error(
            api, request, 429, _("Too many requests: slow down and retry later."), "rate_limited"
        )
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return error(
            api,
            request,
            409,
            str(exc) or _("It changed since you read it: fetch it again and retry."),
            "conflict",
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error(api, request, exc.status_code, str(exc), "error")
