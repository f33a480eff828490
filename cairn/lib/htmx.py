"""One response shape for pages that htmx also asks for in pieces (STYLE.md, convention 4)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment. When htmx restores a page from history it
    cannot find in its cache, it asks with HX-Request too, but needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not getattr(htmx, "history_restore_request", False)


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
        response = render(request, f"{template}#{fragment}", context, status=status)
    else:
        response = render(request, template, context, status=status)
    # The same URL answers with a fragment or a page: a browser's Back button must not be
    # handed the cached fragment as the page.
    patch_vary_headers(response, ("HX-Request",))
    return response
