"""A write that reaches a closed period is answered 409 with the reason, on every page.

Forms that catch ValidationError show the message next to the form already (PeriodClosed is
one); this answers the paths that do not (buttons, htmx actions) instead of letting the
exception become a 500.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from cairn.okrs.closing import PeriodClosed


class ClosedPeriodMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PeriodClosed):
            return None
        body = render_to_string(
            "okrs/closed.html", {"message": " ".join(exception.messages)}, request=request
        )
        return HttpResponse(body, status=409)
