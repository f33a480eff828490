"""The rhythm pages: the inbox ("My week"), the blockers board, the insights library, and a
person's own settings (reminder e-mails)."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cairn.checkins import queries, services
from cairn.checkins.models import CheckIn
from cairn.lib.htmx import is_htmx, render_page
from cairn.okrs.views.common import next_url, selected_period
from cairn.orgs import services as org_services
from cairn.orgs.access import objective_for, org_view, require_writer, team_for
from cairn.orgs.forms import MySettingsForm, attach_errors
from cairn.orgs.models import Member, Team


def _team_param(request: HttpRequest, member: Member) -> Team | None:
    uid = request.GET.get("team")
    return team_for(member, uid) if uid else None


@org_view
def inbox(request: HttpRequest, member: Member) -> HttpResponse:
    today = services.org_today(member.organization)
    context = {
        "member": member,
        "nav": "inbox",
        "today": today,
        "inbox": queries.inbox_for(member, today),
    }
    return render_page(request, "checkins/inbox.html", context, fragment="inbox")


# Blockers -----------------------------------------------------------------------------------


class ResolveForm(forms.Form):
    how = forms.CharField(
        label=gettext_lazy("How was it resolved?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@org_view
def blockers(request: HttpRequest, member: Member) -> HttpResponse:
    team = _team_param(request, member)
    context = {
        "member": member,
        "nav": "blockers",
        "team": team,
        "teams": list(Team.objects.in_org(member.organization).order_by("name")),
        "board": queries.blockers_board(member, team),
        "today": services.org_today(member.organization),
    }
    return render_page(request, "checkins/blockers.html", context, fragment="board")


def _check_in_for(member: Member, uid: uuid.UUID) -> CheckIn:
    """A blocker through the gate: another organization's or a private one is a 404."""
    check_in = CheckIn.objects.visible_to(member).live().filter(uid=uid, is_blocker=True).first()
    if check_in is None:
        raise Http404
    return check_in


@org_view
def blocker_resolve(request: HttpRequest, member: Member, check_in: uuid.UUID) -> HttpResponse:
    blocker = _check_in_for(member, check_in)
    require_writer(member)
    # Several blockers may have their form open on one board: ids must not clash.
    auto_id = f"resolve-{blocker.uid}-%s"
    form = ResolveForm(request.POST if request.method == "POST" else None, auto_id=auto_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.resolve_blocker(check_in=blocker, actor=member, how=form.cleaned_data["how"])
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if not is_htmx(request):
                messages.success(request, _("Blocker resolved."))
                return redirect(
                    next_url(request, reverse("checkins:blockers", args=[member.organization.slug]))
                )
            form = ResolveForm(auto_id=auto_id)
    context = {
        "member": member,
        "nav": "blockers",
        "row": queries.blocker_row(member, blocker),
        "form": form,
        "open_form": queries.can_resolve(member, blocker),
        "next": request.POST.get("next") or request.GET.get("next") or "",
        "today": services.org_today(member.organization),
    }
    return render_page(request, "checkins/blockers_resolve.html", context, fragment="item")


# Insights -----------------------------------------------------------------------------------


@org_view
def insights(request: HttpRequest, member: Member) -> HttpResponse:
    period, periods = selected_period(request, member)
    team = _team_param(request, member)
    objective_uid = request.GET.get("objective")
    objective = objective_for(member, objective_uid) if objective_uid else None
    page = Paginator(
        queries.insights(member, period, team=team, objective=objective),
        queries.INSIGHTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    context = {
        "member": member,
        "nav": "insights",
        "period": period,
        "periods": periods,
        "team": team,
        "teams": list(Team.objects.in_org(member.organization).order_by("name")),
        "objective": objective,
        "objectives": queries.objectives_for_filter(member, period),
        "page": page,
        "rows": [queries.InsightRow(check_in) for check_in in page.object_list],
    }
    return render_page(request, "checkins/insights.html", context, fragment="insights")


# My settings --------------------------------------------------------------------------------


@org_view
def my_settings(request: HttpRequest, member: Member) -> HttpResponse:
    """A person's own settings in this organization; viewers too (it changes only them)."""
    form = MySettingsForm(request.POST if request.method == "POST" else None, member=member)
    saved = False
    if request.method == "POST" and form.is_valid():
        org_services.update_my_settings(member=member, **form.cleaned_data)
        if not is_htmx(request):
            messages.success(request, _("Your settings are saved."))
            return redirect("checkins:my_settings", member.organization.slug)
        form = MySettingsForm(member=member)
        saved = True
    context = {"member": member, "nav": "me", "form": form, "saved": saved}
    return render_page(request, "checkins/my_settings.html", context, fragment="form")


urlpatterns: list[URLPattern] = [
    path("inbox/", inbox, name="inbox"),
    path("blockers/", blockers, name="blockers"),
    path("check-ins/<uuid:check_in>/resolve/", blocker_resolve, name="blocker_resolve"),
    path("insights/", insights, name="insights"),
    path("me/settings/", my_settings, name="my_settings"),
]
