"""Initiative authoring: each team's work towards an objective or one of its key results."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cairn.okrs import services
from cairn.okrs.forms import DeferInitiativeForm, InitiativeForm
from cairn.okrs.models import Initiative, Objective
from cairn.okrs.views.common import is_htmx, next_url, render_form
from cairn.okrs.views.objectives import objective_sections, objective_url
from cairn.orgs.access import (
    can_edit_objective,
    initiative_for,
    objective_for,
    org_view,
    require_writer,
    team_ids_of,
)
from cairn.orgs.forms import attach_errors
from cairn.orgs.models import Member, Team

FORM_TEMPLATE = "okrs/initiative_form.html"


def team_choices(
    member: Member, objective: Objective, current: Team | None = None
) -> QuerySet[Team]:
    """Those who may change the objective pick any team; others add their own teams' work."""
    teams = Team.objects.in_org(member.organization).order_by("name")
    if member.is_admin or can_edit_objective(member, objective):
        return teams
    allowed = Q(pk__in=team_ids_of(member))
    if current is not None:
        allowed |= Q(pk=current.pk)
    return teams.filter(allowed)


@org_view
def initiative_new(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    the_objective = objective_for(member, objective)
    require_writer(member)
    teams = team_choices(member, the_objective)
    if not teams.exists():
        raise PermissionDenied(_("You are in no team that could take on this work."))
    owning = [link.team for link in the_objective.team_links.all()]
    mine = team_ids_of(member)
    wanted = request.GET.get("team")
    default_team = (
        next((t for t in teams if str(t.uid) == wanted), None)
        or next((t for t in owning if t.pk in mine), None)
        or (owning[0] if owning else None)
    )
    initial = {"team": default_team, "owner": member}
    wanted_kr = request.GET.get("key_result")
    form = InitiativeForm(
        request.POST or None,
        member=member,
        objective=the_objective,
        teams=teams,
        initial=initial,
    )
    if wanted_kr:
        form.initial["key_result"] = (
            form.fields["key_result"].queryset.filter(uid=wanted_kr).first()  # type: ignore[attr-defined]
            if _is_uuid(wanted_kr)
            else None
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.create_initiative(actor=member, objective=the_objective, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return objective_sections(request, member, the_objective.uid, "initiatives")
            messages.success(request, _("Initiative added."))
            return redirect(next_url(request, objective_url(member, the_objective)))
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "objective": the_objective,
        "action": request.get_full_path(),
        "cancel_url": objective_url(member, the_objective),
        "in_place": "new" if is_htmx(request) else "",
        "slot": f"ini-new-{wanted}" if wanted and _is_uuid(wanted) else "ini-new",
    }
    return render_form(request, FORM_TEMPLATE, context)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@org_view
def initiative_edit(request: HttpRequest, member: Member, initiative: uuid.UUID) -> HttpResponse:
    item = initiative_for(member, initiative, write=True)
    initial = {
        name: getattr(item, name)
        for name in ("title", "team", "key_result", "owner", "state", "due", "description")
    }
    form = InitiativeForm(
        request.POST or None,
        member=member,
        objective=item.objective,
        teams=team_choices(member, item.objective, current=item.team),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_initiative(initiative=item, actor=member, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return objective_sections(request, member, item.objective.uid, "initiatives")
            messages.success(request, _("Initiative saved."))
            return redirect(next_url(request, objective_url(member, item.objective)))
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "objective": item.objective,
        "initiative": item,
        "action": request.get_full_path(),
        "cancel_url": next_url(request, objective_url(member, item.objective)),
        "in_place": "item" if is_htmx(request) else "",
    }
    return render_form(request, FORM_TEMPLATE, context)


@org_view
def initiative_delete(request: HttpRequest, member: Member, initiative: uuid.UUID) -> HttpResponse:
    item: Initiative = initiative_for(member, initiative, write=True)
    objective = item.objective
    if request.method == "POST":
        services.delete_initiative(initiative=item, actor=member)
        if is_htmx(request):
            return objective_sections(request, member, objective.uid, "initiatives")
        messages.success(request, _("Initiative deleted."))
        return redirect(next_url(request, objective_url(member, objective)))
    return render(
        request,
        "okrs/confirm_delete.html",
        {
            "member": member,
            "nav": "home",
            "what": _("initiative"),
            "title": item.title,
            "action": request.get_full_path(),
            "cancel_url": next_url(request, objective_url(member, objective)),
        },
    )


@org_view
def initiative_defer(request: HttpRequest, member: Member, initiative: uuid.UUID) -> HttpResponse:
    """Defer to the next period: GET asks (and says already when it cannot be done), POST
    does it."""
    item = initiative_for(member, initiative, write=True)
    objective = item.objective
    # An empty POST (no note) is still a submission.
    form = DeferInitiativeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.defer_initiative(initiative=item, actor=member, note=form.cleaned_data["note"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return objective_sections(request, member, objective.uid, "initiatives")
            messages.success(
                request, _("Initiative deferred to %(period)s.") % {"period": item.period.name}
            )
            return redirect(next_url(request, objective_url(member, objective)))
    try:
        target, problems = services.defer_target(item), []
    except ValidationError as exc:
        target, problems = None, exc.messages
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "objective": objective,
        "initiative": item,
        "target": target,
        "problems": problems,
        "action": request.get_full_path(),
        "cancel_url": next_url(request, objective_url(member, objective)),
        "objective_url": objective_url(member, objective),
        "in_place": is_htmx(request),
    }
    return render_form(request, "okrs/initiative_defer.html", context)
