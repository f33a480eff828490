from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def member(request: HttpRequest) -> dict[str, Any]:
    """The member set by the gate (`access.org_view`), so that error pages keep their nav."""
    return {"member": getattr(request, "member", None)}
