"""The objective page, objective authoring, and alignment links."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cairn.lib.htmx import render_page
from cairn.okrs import queries, services
from cairn.okrs.forms import AlignForm, ObjectiveForm
from cairn.okrs.models import Alignment, Objective, Visibility
from cairn.okrs.queries import align, chain, continuity
from cairn.okrs.views.common import (
    is_htmx,
    org_today,
    render_form,
    render_fragments,
    selected_period,
)
from cairn.orgs.access import (
    can_edit_objective,
    objective_for,
    org_view,
    require_writer,
    team_for,
    team_ids_of,
)
from cairn.orgs.forms import attach_errors
from cairn.orgs.models import Member

OBJECTIVE_PAGE = "okrs/objective.html"


def objective_url(member: Member, objective: Objective) -> str:
    return reverse("okrs:objective", args=[member.organization.slug, objective.uid])


def chain_depth(request: HttpRequest) -> int | None:
    """How deep the page draws "contributing to this": a level by default, all with
    `?chain=all` (`queries.chain`)."""
    return None if request.GET.get("chain") == "all" else chain.PAGE_DOWN_DEPTH


def objective_context(
    member: Member, objective: Objective, *, down_depth: int | None = chain.PAGE_DOWN_DEPTH
) -> dict[str, Any]:
    """Everything the objective page and each of its htmx sections draw."""
    today = org_today(member)
    rows = queries.key_result_rows(member, objective, today)
    card = queries.card_for(objective, [row.key_result for row in rows], today)
    can_edit = can_edit_objective(member, objective)
    groups = queries.initiative_groups(member, objective, card.owner_teams)
    if objective.is_closed:
        # Read-only once its period closed: no edit buttons (the services refuse anyway).
        for row in rows:
            row.can_edit = False
        for group in groups:
            group.items = [(initiative, False) for initiative, _editable in group.items]
    return {
        "member": member,
        "nav": "home",
        "objective": objective,
        "card": card,
        "rows": rows,
        "can_edit": can_edit and not objective.is_closed,
        "can_carry_over": can_edit,
        "read_only": continuity.read_only(objective),
        "continuity": continuity.of_objective(member, objective),
        "my_team_ids": team_ids_of(member),
        "chain": queries.alignment_chain(member, objective, down_depth=down_depth),
        "initiative_groups": groups,
        "history": queries.history_lines(member, "objective", objective.uid),
    }


def objective_sections(
    request: HttpRequest,
    member: Member,
    objective_uid: uuid.UUID,
    *names: str,
    oob: tuple[str, ...] = (),
) -> HttpResponse:
    """Re-read the objective through the gate and render some of its page's sections."""
    objective = objective_for(member, objective_uid)
    return render_fragments(
        request, OBJECTIVE_PAGE, objective_context(member, objective), *names, oob=oob
    )


@org_view
def objective_detail(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    the_objective = objective_for(member, objective)
    depth = chain_depth(request)
    if is_htmx(request) and "chain" in request.GET:
        # "Show the whole chain": only the alignment section. (Other htmx reads of this URL,
        # the forms' Cancel buttons, take their section out of the whole page.)
        context = {
            "member": member,
            "objective": the_objective,
            "chain": queries.alignment_chain(member, the_objective, down_depth=depth),
            "can_edit": can_edit_objective(member, the_objective) and not the_objective.is_closed,
        }
        return render_page(request, OBJECTIVE_PAGE, context, fragment="alignment")
    return render(
        request, OBJECTIVE_PAGE, objective_context(member, the_objective, down_depth=depth)
    )


def _new_objective_initial(request: HttpRequest, member: Member) -> dict[str, Any]:
    period, _periods = selected_period(request, member)
    initial: dict[str, Any] = {"period": period, "visibility": Visibility.PUBLIC}
    team_uid = request.GET.get("team")
    mine = team_ids_of(member)
    if team_uid:
        team = team_for(member, team_uid)
        if member.is_admin or team.pk in mine:
            initial["owner_teams"] = [team]
    elif not mine:
        initial["owner_person"] = member
    return initial


@org_view
def objective_new(request: HttpRequest, member: Member) -> HttpResponse:
    require_writer(member)
    form = ObjectiveForm(
        request.POST or None, member=member, initial=_new_objective_initial(request, member)
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_objective(actor=member, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("Objective created."))
            return redirect(objective_url(member, created))
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "action": request.get_full_path(),
        "cancel_url": reverse("okrs:home", args=[member.organization.slug]),
    }
    return render_form(request, "okrs/objective_form.html", context)


@org_view
def objective_edit(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    the_objective = objective_for(member, objective, write=True)
    initial = {
        "title": the_objective.title,
        "description": the_objective.description,
        "period": the_objective.period,
        "owner_person": the_objective.owner_person,
        "owner_teams": [link.team for link in the_objective.team_links.all()],
        "visibility": the_objective.visibility,
        "shared_with": list(the_objective.shared_with.all()),
    }
    form = ObjectiveForm(
        request.POST or None, member=member, objective=the_objective, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.update_objective(
                objective=the_objective,
                actor=member,
                owner_teams=list(data.pop("owner_teams")),
                shared_with=list(data.pop("shared_with")),
                **data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return objective_sections(
                    request, member, the_objective.uid, "head", oob=("initiatives", "history")
                )
            messages.success(request, _("Objective saved."))
            return redirect(objective_url(member, the_objective))
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "objective": the_objective,
        "action": reverse("okrs:objective_edit", args=[member.organization.slug, objective]),
        "cancel_url": objective_url(member, the_objective),
        "in_place": is_htmx(request),
    }
    return render_form(request, "okrs/objective_form.html", context)


@org_view
def objective_delete(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    the_objective = objective_for(member, objective, write=True)
    if request.method == "POST":
        services.delete_objective(objective=the_objective, actor=member)
        messages.success(request, _("Objective deleted."))
        return redirect("okrs:home", org=member.organization.slug)
    return render(
        request,
        "okrs/confirm_delete.html",
        {
            "member": member,
            "nav": "home",
            "what": _("objective"),
            "title": the_objective.title,
            "consequence": _("Its key results and initiatives are deleted with it."),
            "action": request.get_full_path(),
            "cancel_url": objective_url(member, the_objective),
        },
    )


@org_view
def objective_align(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    """The "Align to…" form: every candidate, or (in a large organization) suggestions and a
    search by title (`queries.align`); `?q=` searches, and a POST carries it along so that its
    list is drawn again with the errors."""
    the_objective = objective_for(member, objective, write=True)
    search = (request.POST.get("q") or request.GET.get("q") or "")[:200]
    choices = align.align_choices(member, the_objective, search)
    form = AlignForm(
        request.POST or None,
        candidates=choices.objectives,
        resolve=functools.partial(align.align_parent, member, the_objective),
    )
    if request.method == "POST" and form.is_valid():
        parent_objective, parent_key_result = form.cleaned_data["parent"]
        try:
            services.align(
                actor=member,
                child=the_objective,
                parent_objective=parent_objective,
                parent_key_result=parent_key_result,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return objective_sections(
                    request, member, the_objective.uid, "alignment", oob=("history",)
                )
            messages.success(request, _("Alignment added."))
            return redirect(objective_url(member, the_objective))
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "choices": choices,
        "objective": the_objective,
        "action": reverse("okrs:objective_align", args=[member.organization.slug, objective]),
        "cancel_url": objective_url(member, the_objective),
        "in_place": is_htmx(request),
    }
    return render_form(request, "okrs/align_form.html", context)


@org_view
def alignment_delete(request: HttpRequest, member: Member, alignment: uuid.UUID) -> HttpResponse:
    link = (
        Alignment.objects.in_org(member.organization)
        .filter(uid=alignment)
        .select_related("child", "parent_objective", "parent_key_result")
        .first()
    )
    if link is None:
        raise Http404
    # The link belongs to its child: whoever may change the child may remove it.
    child = objective_for(member, link.child.uid, write=True)
    if request.method == "POST":
        services.unalign(actor=member, link=link)
        if is_htmx(request):
            return objective_sections(request, member, child.uid, "alignment", oob=("history",))
        messages.success(request, _("Alignment removed."))
        return redirect(objective_url(member, child))
    parent = link.parent_objective or link.parent_key_result
    visible_links = {item.link.pk for item in queries.alignment_up(member, child)}
    return render(
        request,
        "okrs/confirm_delete.html",
        {
            "member": member,
            "nav": "home",
            "what": _("alignment"),
            # A parent the member cannot see is not named.
            "title": str(parent) if link.pk in visible_links else child.title,
            "action": request.get_full_path(),
            "cancel_url": objective_url(member, child),
        },
    )
