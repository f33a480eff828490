"""A write that reaches a closed period is answered 409 with the reason, on every page.

Every write path lets PeriodClosed through (forms too: `orgs.forms.attach_errors` raises it
on, nothing in the input could fix it), and this answers it: the page with the reason, or
for htmx the message and a reload (htmx swaps no error answer). Never a 500, never a 200.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from cairn.lib.htmx import is_htmx
from cairn.okrs.closing import PeriodClosed


class ClosedPeriodMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PeriodClosed):
            return None
        message = " ".join(exception.messages)
        if is_htmx(request):
            # htmx swaps no error answer: the page reloads and shows the message on top.
            messages.error(request, message)
            response = HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")
            response["HX-Refresh"] = "true"
            return response
        body = render_to_string("okrs/closed.html", {"message": message}, request=request)
        return HttpResponse(body, status=409)
