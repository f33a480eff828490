"""The shared OKR's room: the sync view for the owning teams' regular meeting, recording a
sync, and the objective's check-in stream (loaded lazily into the objective page).

Every view: gate (`objective_for`) → form → service (`syncs.record_sync`) → redirect or
render; htmx gets the partial of the same template.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cairn.checkins import queries, syncs
from cairn.checkins.forms import SyncForm
from cairn.lib.htmx import is_htmx, render_page
from cairn.okrs.models import Objective
from cairn.okrs.views.common import render_form
from cairn.orgs.access import can_edit_objective, objective_for, org_view, require_writer
from cairn.orgs.forms import attach_errors
from cairn.orgs.models import Member

SYNC_PAGE = "checkins/sync.html"
STREAM_PAGE = "checkins/objective_check_ins.html"
# Far beyond any real stream; keeps a huge ?page= from overflowing the OFFSET.
MAX_PAGE = 10_000


def sync_url(member: Member, objective: Objective) -> str:
    return reverse("checkins:sync", args=[member.organization.slug, objective.uid])


def _can_record(member: Member, objective: Objective) -> bool:
    # A closed period's objective takes no more syncs (the service refuses too).
    return member.can_write and can_edit_objective(member, objective) and not objective.is_closed


def _require_recorder(member: Member, objective: Objective) -> None:
    require_writer(member)
    if not can_edit_objective(member, objective):
        raise PermissionDenied(_("Only the objective's owners record its syncs."))


def _since(
    request: HttpRequest, today: dt.date, objective: Objective
) -> tuple[dt.date | None, str]:
    """The `?since=YYYY-MM-DD` chosen, or None for the default; and what was wrong with it."""
    raw = request.GET.get("since", "").strip()
    if not raw:
        return None, ""
    try:
        day = dt.datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        return None, _("“%(value)s” is not a date: choose one as YYYY-MM-DD.") % {"value": raw[:40]}
    if day > today:
        return None, _("Choose a day up to today: nothing has moved after it yet.")
    if day < syncs.earliest_day(objective):
        return None, _("Choose a day after %(day)s.") % {
            "day": date_format(syncs.earliest_day(objective), "SHORT_DATE_FORMAT")
        }
    return day, ""


def _sync_form(
    request: HttpRequest, member: Member, objective: Objective, today: dt.date
) -> SyncForm:
    return SyncForm(
        request.POST if request.method == "POST" else None,
        objective=objective,
        member=member,
        today=today,
        auto_id="sync_%s",
    )


def _page_context(
    member: Member,
    objective: Objective,
    *,
    since: dt.date | None,
    since_error: str,
    form: SyncForm | None,
) -> dict[str, Any]:
    view = syncs.sync_view(member, objective, since)
    return {
        "member": member,
        "nav": "home",
        "objective": objective,
        "view": view,
        "since_error": since_error,
        "form": form,
        "can_record": form is not None,
        "action": reverse("checkins:sync_record", args=[member.organization.slug, objective.uid]),
        "page_url": sync_url(member, objective),
    }


@org_view
def sync_page(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    the_objective = objective_for(member, objective)
    today = member.organization.today()
    since, since_error = _since(request, today, the_objective)
    form = (
        _sync_form(request, member, the_objective, today)
        if _can_record(member, the_objective)
        else None
    )
    context = _page_context(member, the_objective, since=since, since_error=since_error, form=form)
    return render_page(
        request, SYNC_PAGE, context, fragment="view", status=400 if since_error else 200
    )


@org_view
def sync_record(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    the_objective = objective_for(member, objective)
    _require_recorder(member, the_objective)
    today = member.organization.today()
    form = _sync_form(request, member, the_objective, today)
    if request.method == "POST" and form.is_valid():
        try:
            sync = syncs.record_sync(actor=member, objective=the_objective, **form.record_kwargs())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            assert sync.next_sync_on is not None
            messages.success(
                request,
                _("Sync recorded. The next one is on %(date)s.")
                % {"date": date_format(sync.next_sync_on, "SHORT_DATE_FORMAT")},
            )
            url = sync_url(member, the_objective)
            if is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
    if is_htmx(request):
        # In place, only the form comes back: the view around it has not changed.
        context: dict[str, Any] = {
            "member": member,
            "objective": the_objective,
            "form": form,
            "can_record": True,
            "action": reverse(
                "checkins:sync_record", args=[member.organization.slug, the_objective.uid]
            ),
        }
    else:
        context = _page_context(member, the_objective, since=None, since_error="", form=form)
    return render_form(request, SYNC_PAGE, context)


@org_view
def objective_check_ins(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    the_objective = objective_for(member, objective)
    try:
        number = min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        number = 1
    page = queries.check_in_stream(member, the_objective, number)
    context = {
        "member": member,
        "nav": "home",
        "objective": the_objective,
        "page": page,
        "stream_url": reverse(
            "checkins:objective_check_ins", args=[member.organization.slug, the_objective.uid]
        ),
    }
    # The first page swaps in for the objective page's placeholder link; a later one for the
    # "more" link at the end of the list it extends.
    fragment = "more" if number > 1 else "stream"
    return render_page(request, STREAM_PAGE, context, fragment=fragment)


urlpatterns: list[URLPattern] = [
    path("objectives/<uuid:objective>/sync/", sync_page, name="sync"),
    path("objectives/<uuid:objective>/sync/record/", sync_record, name="sync_record"),
    path("objectives/<uuid:objective>/check-ins/", objective_check_ins, name="objective_check_ins"),
]
