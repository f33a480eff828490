"""API v1: who am I, periods, teams, members."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from cairn.api.auth import member_of

router = Router(tags=["organization"])


class MeOut(Schema):
    id: str
    name: str
    email: str
    role: str
    organization: str
    organization_name: str
    token_read_only: bool | None = None


@router.get("/me", response=MeOut, summary="The calling member")
def me(request: HttpRequest) -> dict[str, object]:
    member = member_of(request)
    token = getattr(request, "api_token", None)
    return {
        "id": str(member.uid),
        "name": member.name,
        "email": member.user.email,
        "role": member.role,
        "organization": member.organization.slug,
        "organization_name": member.organization.name,
        "token_read_only": token.read_only if token is not None else None,
    }
