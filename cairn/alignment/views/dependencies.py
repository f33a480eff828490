"""Sideways alignment: asking another team for something, answering, and the thread.

Every view has one shape: the gate (`orgs.access`) → a form → `alignment.services` → a
redirect, or the page (for htmx, the partial of the same template). Refusals are answered
with their message: a move that the state machine does not allow from the current state is
409, one that belongs to the other side is 403, and anything the member may not see is 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cairn.alignment import services
from cairn.alignment.forms import (
    MOVE_HELP,
    MOVE_LABELS,
    CommentForm,
    DependencyEditForm,
    DependencyForm,
    MoveForm,
)
from cairn.alignment.models import Dependency, DependencyState
from cairn.alignment.queries import dependencies as queries
from cairn.lib.htmx import is_htmx, render_page
from cairn.okrs.models import Objective
from cairn.okrs.views.common import next_url, org_today, render_form, selected_period
from cairn.orgs.access import (
    can_edit_objective,
    dependency_for,
    objective_for,
    org_view,
    require_writer,
    team_for,
    team_ids_of,
)
from cairn.orgs.forms import attach_errors
from cairn.orgs.models import Member, Team

S = DependencyState
LIST_PAGE = "alignment/dependencies.html"
OBJECTIVE_PAGE = "alignment/dependencies_objective.html"
TEAM_PAGE = "alignment/dependencies_team.html"
DETAIL_PAGE = "alignment/dependency.html"
FORM_PAGE = "alignment/dependency_form.html"
# Until it is closed, the requesting side may reword a request or move its date.
EDITABLE_STATES = frozenset({S.PROPOSED, S.ACCEPTED, S.DECLINED})


def _url(member: Member, name: str, *args: object) -> str:
    return reverse(f"alignment:{name}", args=[member.organization.slug, *args])


def detail_url(member: Member, dependency: Dependency) -> str:
    return _url(member, "dependency", dependency.uid)


# The organization's list ---------------------------------------------------------------------


@org_view
def dependency_list(request: HttpRequest, member: Member) -> HttpResponse:
    period, periods = selected_period(request, member)
    team_uid = request.GET.get("team")
    team = team_for(member, team_uid) if team_uid else None
    state = request.GET.get("state") or ""
    error, status = "", 200
    if state and state not in S.values:
        error, status, state = _("There is no such state: choose one from the list."), 400, ""
    context = {
        "member": member,
        "nav": "alignment",
        "period": period,
        "periods": periods,
        "team": team,
        "teams": list(Team.objects.in_org(member.organization).order_by("name")),
        "state": state,
        "states": S.choices,
        "error": error,
        "dependencies": queries.org_dependencies(
            member, period=period, team=team, state=state or None
        ),
        "my_team_ids": team_ids_of(member),
        "today": org_today(member),
    }
    return render_page(request, LIST_PAGE, context, fragment="list", status=status)


# The objective's section ---------------------------------------------------------------------


def _objective_context(member: Member, objective: Objective) -> dict[str, Any]:
    return {
        "member": member,
        "nav": "home",
        "objective": objective,
        "dependencies": queries.objective_dependencies(member, objective),
        "over_optimistic": queries.over_optimistic_key_results(member, objective),
        "can_ask": can_edit_objective(member, objective) and not objective.is_closed,
        "my_team_ids": team_ids_of(member),
        "today": org_today(member),
    }


@org_view
def objective_dependencies(
    request: HttpRequest, member: Member, objective: uuid.UUID
) -> HttpResponse:
    the_objective = objective_for(member, objective)
    context = _objective_context(member, the_objective)
    return render_page(request, OBJECTIVE_PAGE, context, fragment="section")


@org_view
def dependency_new(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    the_objective = objective_for(member, objective, write=True)
    form = DependencyForm(
        request.POST if request.method == "POST" else None,
        member=member,
        objective=the_objective,
        key_result_uid=request.GET.get("key_result"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.request_dependency(
                actor=member, objective=the_objective, **form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                # The in-place form came from the objective page: its section, refreshed.
                return render_page(
                    request,
                    OBJECTIVE_PAGE,
                    _objective_context(member, the_objective),
                    fragment="section",
                )
            messages.success(
                request,
                _("Request sent to %(team)s.") % {"team": created.providing_team.name},
            )
            return redirect(next_url(request, detail_url(member, created)))
    objective_url = reverse("okrs:objective", args=[member.organization.slug, the_objective.uid])
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "objective": the_objective,
        "action": request.get_full_path(),
        "cancel_url": f"{objective_url}#dependencies",
        "section_url": _url(member, "objective_dependencies", the_objective.uid),
        "in_place": "new" if is_htmx(request) else "",
    }
    return render_form(request, FORM_PAGE, context)


# One request and its thread ------------------------------------------------------------------


@dataclass
class Move:
    state: str
    label: str
    help: str
    form: forms.Form


def _detail_context(
    member: Member,
    dependency: Dependency,
    *,
    move_form: MoveForm | None = None,
    comment_form: CommentForm | None = None,
    refusal: str = "",
) -> dict[str, Any]:
    moves = []
    # A closed period's requests are read-only: no moves, edits or comments are offered.
    closed = dependency.objective.is_closed
    for state in [] if closed else services.moves_for(member, dependency):
        form = move_form if move_form is not None and move_form["state"].value() == state else None
        moves.append(
            Move(
                state=state,
                label=str(MOVE_LABELS[state]),
                help=str(MOVE_HELP[state]),
                form=form or MoveForm(initial={"state": state}, auto_id=f"move-{state}-%s"),
            )
        )
    return {
        "member": member,
        "nav": "alignment",
        "dependency": dependency,
        "objective": dependency.objective,
        "events": queries.thread(dependency),
        "moves": moves,
        "failed_move": move_form["state"].value() if move_form is not None else "",
        "comment_form": comment_form or CommentForm(auto_id="comment-%s"),
        "can_edit": dependency.state in EDITABLE_STATES
        and can_edit_objective(member, dependency.objective)
        and not closed,
        "can_comment": member.can_write and not closed,
        "initiative_visible": queries.initiative_visible(member, dependency),
        "refusal": refusal,
        "today": org_today(member),
    }


def _request_fragment(request: HttpRequest, member: Member, uid: uuid.UUID) -> HttpResponse:
    """The request and its thread, re-read through the gate after a change."""
    fresh = dependency_for(member, uid)
    return render_page(request, DETAIL_PAGE, _detail_context(member, fresh), fragment="request")


def _refuse(
    request: HttpRequest, member: Member, dependency: Dependency, message: str, status: int
) -> HttpResponse:
    """A refused move, with its message. htmx does not swap an error response, so an htmx
    request is sent (HX-Redirect) to the request's page, where the message waits for it."""
    if is_htmx(request):
        messages.error(request, message)
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        response["HX-Redirect"] = detail_url(member, dependency)
        return response
    context = _detail_context(member, dependency, refusal=message)
    return render(request, DETAIL_PAGE, context, status=status)


@org_view
def dependency_detail(request: HttpRequest, member: Member, dependency: uuid.UUID) -> HttpResponse:
    the_dependency = dependency_for(member, dependency)
    context = _detail_context(member, the_dependency)
    return render_page(request, DETAIL_PAGE, context, fragment="request")


@org_view
def dependency_edit(request: HttpRequest, member: Member, dependency: uuid.UUID) -> HttpResponse:
    the_dependency = dependency_for(member, dependency)
    require_writer(member)
    if not can_edit_objective(member, the_dependency.objective):
        raise PermissionDenied(
            _("Only %(team)s can change its own request.")
            % {"team": the_dependency.requesting_team.name}
        )
    form = DependencyEditForm(
        request.POST if request.method == "POST" else None,
        member=member,
        dependency=the_dependency,
    )
    if request.method == "POST" and form.is_valid():
        data = {"initiative": the_dependency.initiative, **form.cleaned_data}
        try:
            services.update_dependency(actor=member, dependency=the_dependency, **data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return _request_fragment(request, member, the_dependency.uid)
            messages.success(request, _("Request saved."))
            return redirect(detail_url(member, the_dependency))
    context = {
        "member": member,
        "nav": "alignment",
        "form": form,
        "dependency": the_dependency,
        "objective": the_dependency.objective,
        "action": request.get_full_path(),
        "cancel_url": detail_url(member, the_dependency),
        "in_place": "edit" if is_htmx(request) else "",
    }
    return render_form(request, FORM_PAGE, context)


@org_view
def dependency_move(request: HttpRequest, member: Member, dependency: uuid.UUID) -> HttpResponse:
    the_dependency = dependency_for(member, dependency)
    require_writer(member)
    if request.method != "POST":
        return redirect(detail_url(member, the_dependency))
    to_state = request.POST.get("state", "")
    # Whether the move is possible at all, and whose it is, comes before its comment.
    try:
        services.check_move(actor=member, dependency=the_dependency, to_state=to_state)
    except services.IllegalMove as exc:
        return _refuse(request, member, the_dependency, " ".join(exc.messages), 409)
    except ValidationError as exc:
        return _refuse(request, member, the_dependency, " ".join(exc.messages), 400)
    except PermissionDenied as exc:
        return _refuse(request, member, the_dependency, str(exc), 403)
    form = MoveForm(request.POST, auto_id=f"move-{to_state}-%s")
    if form.is_valid():
        try:
            services.change_dependency_state(
                actor=member,
                dependency=the_dependency,
                to_state=to_state,
                comment=form.cleaned_data["comment"],
            )
        except services.IllegalMove as exc:
            # Someone else answered between the page and this move.
            return _refuse(request, member, the_dependency, " ".join(exc.messages), 409)
        except PermissionDenied as exc:
            return _refuse(request, member, the_dependency, str(exc), 403)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return _request_fragment(request, member, the_dependency.uid)
            messages.success(
                request,
                _("The request is now “%(state)s”.") % {"state": S(to_state).label},
            )
            return redirect(detail_url(member, the_dependency))
    context = _detail_context(member, the_dependency, move_form=form)
    return render_page(request, DETAIL_PAGE, context, fragment="request")


@org_view
def dependency_comment(request: HttpRequest, member: Member, dependency: uuid.UUID) -> HttpResponse:
    the_dependency = dependency_for(member, dependency)
    require_writer(member)
    if request.method != "POST":
        return redirect(detail_url(member, the_dependency))
    form = CommentForm(request.POST, auto_id="comment-%s")
    if form.is_valid():
        try:
            services.comment_on_dependency(
                actor=member, dependency=the_dependency, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return _request_fragment(request, member, the_dependency.uid)
            messages.success(request, _("Comment added."))
            return redirect(f"{detail_url(member, the_dependency)}#thread")
    context = _detail_context(member, the_dependency, comment_form=form)
    return render_page(request, DETAIL_PAGE, context, fragment="request")


# A team's requests ---------------------------------------------------------------------------


@org_view
def team_dependencies(request: HttpRequest, member: Member, team: uuid.UUID) -> HttpResponse:
    the_team = team_for(member, team)
    period, periods = selected_period(request, member)
    requests = queries.team_dependencies(member, the_team, period)
    context = {
        "member": member,
        "nav": "teams",
        "team": the_team,
        "period": period,
        "periods": periods,
        "incoming": requests.incoming,
        "outgoing": requests.outgoing,
        "awaiting_answer": requests.awaiting_answer,
        "can_answer": member.can_write and (member.is_admin or the_team.pk in team_ids_of(member)),
        "my_team_ids": team_ids_of(member),
        "today": org_today(member),
    }
    return render_page(request, TEAM_PAGE, context, fragment="requests")
