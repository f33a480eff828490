"""One response shape for pages that htmx also asks for in pieces (STYLE.md, convention 4)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The full page, or for an htmx request the named partial of the same template."""
    if fragment and is_htmx(request):
        return render(request, f"{template}#{fragment}", context, status=status)
    return render(request, template, context, status=status)
