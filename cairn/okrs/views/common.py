"""Small helpers shared by the OKR views."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from cairn.lib.htmx import is_htmx, render_page
from cairn.okrs import queries
from cairn.orgs.models import Member, Period


def org_today(member: Member) -> dt.date:
    return queries.today_for(member.organization)


def selected_period(request: HttpRequest, member: Member) -> tuple[Period | None, list[Period]]:
    """The period chosen with `?period=<uid>`, else the current one; and all periods for the
    switcher. An unknown uid is a 404, like any other lookup."""
    periods = queries.periods_of(member)
    wanted = request.GET.get("period")
    if wanted:
        for period in periods:
            if str(period.uid) == wanted:
                return period, periods
        raise Http404
    return queries.current_period(periods, org_today(member)), periods


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: a same-site `next` when given, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def render_fragments(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *names: str,
    oob: tuple[str, ...] = (),
) -> HttpResponse:
    """Several partials of one template in one htmx response; `oob` ones are rendered with
    `oob=True` so that they carry hx-swap-oob and replace their twin elsewhere on the page."""
    parts = [render_to_string(f"{template}#{name}", context, request=request) for name in names]
    parts += [
        render_to_string(f"{template}#{name}", {**context, "oob": True}, request=request)
        for name in oob
    ]
    return HttpResponse("".join(parts))


def render_form(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A form page, or in place its `form` partial.

    An in-place form posts to refresh its whole section on success; when it comes back with
    errors it must replace only itself, so the response retargets to the element around the
    form that carries `data-slot`.
    """
    response = render_page(request, template, context, fragment="form")
    if is_htmx(request) and request.method == "POST":
        response["HX-Retarget"] = "closest [data-slot]"
        response["HX-Reswap"] = "outerHTML"
    return response
