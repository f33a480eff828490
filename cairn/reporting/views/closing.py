"""Closing a period: the checklist (organization or one team), closing and reopening, and
carrying unfinished objectives over into the next period (from the checklist or from one
objective).

Every view: gate (`period_for` / `objective_for`, then `can_close`) → form → service →
redirect, or for htmx the checklist's fragment. The checklist is advice: a period closes
with open items too, and the confirmation shows them once more.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cairn.lib.htmx import is_htmx, render_page
from cairn.okrs.closing import PeriodClosed
from cairn.okrs.models import KeyResult, Objective
from cairn.okrs.views.common import next_url
from cairn.orgs import history
from cairn.orgs import services as org_services
from cairn.orgs.access import objective_for, org_view, period_for, require_admin, team_for
from cairn.orgs.forms import attach_errors
from cairn.orgs.models import Member, Period, PeriodKind, Team
from cairn.reporting import services
from cairn.reporting.forms import CarryOverForm, ChecklistCarryOverForm, CloseForm, ReopenForm
from cairn.reporting.queries import closing as queries

CHECKLIST = "reporting/checklist.html"
CLOSE = "reporting/close_confirm.html"
REOPEN = "reporting/close_reopen.html"
CARRY_OVER = "reporting/carry_over.html"


def checklist_url(member: Member, period: Period, team: Team | None = None) -> str:
    url = reverse("reporting:checklist", args=[member.organization.slug, period.uid])
    return f"{url}?team={team.uid}" if team is not None else url


def _scope_query(team: Team | None) -> str:
    return f"?team={team.uid}" if team is not None else ""


def _team(request: HttpRequest, member: Member) -> Team | None:
    """The team scope, `?team=<uid>` (or the form's `team` on a POST): through the gate."""
    wanted = request.GET.get("team") or request.POST.get("team")
    return team_for(member, wanted) if wanted else None


def _require_closer(member: Member, team: Team | None) -> None:
    if not services.can_close(member, team):
        raise PermissionDenied(
            _("Only admins close a period, and a team's lead for the team's own OKRs.")
            if team is None or member.can_write
            else _("Viewers have read-only access.")
        )


def _scope(request: HttpRequest, member: Member, period: uuid.UUID) -> tuple[Period, Team | None]:
    the_period = period_for(member, period)
    team = _team(request, member)
    _require_closer(member, team)
    return the_period, team


def _title(period: Period, team: Team | None) -> str:
    if team is None:
        return _("Close %(period)s") % {"period": period.name}
    return _("Close %(period)s for %(team)s") % {"period": period.name, "team": team.name}


# The checklist ------------------------------------------------------------------------------


def _checklist_context(
    member: Member,
    period: Period,
    team: Team | None,
    *,
    carry_form: ChecklistCarryOverForm | None = None,
    sent: dict[str, set[str]] | None = None,
    notice: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """`sent`: the carry-over boxes ticked in a form that comes back with an error."""
    data = queries.checklist(member, period, team)
    queries.tick(data, sent)
    return {
        "member": member,
        "nav": "periods",
        "period": period,
        "team": team,
        "checklist": data,
        "title": _title(period, team),
        "scope_query": _scope_query(team),
        "here": checklist_url(member, period, team),
        "carry_form": carry_form,
        "notice": notice,
        "next_quarter_name": queries.next_quarter_name(period),
        "history": history.readable_history(member.organization, "period", period.uid),
    }


@org_view
def checklist(request: HttpRequest, member: Member, period: uuid.UUID) -> HttpResponse:
    """What is left before `period` closes, for the organization (admins) or `?team=` (admins
    and the team's lead); once closed, who closed it and when."""
    the_period, team = _scope(request, member, period)
    context = _checklist_context(member, the_period, team)
    return render_page(request, CHECKLIST, context, fragment="checklist")


# Closing and reopening ----------------------------------------------------------------------


@org_view
def close(request: HttpRequest, member: Member, period: uuid.UUID) -> HttpResponse:
    """The confirmation (the open items once more, and an optional note), then the close."""
    the_period, team = _scope(request, member, period)
    form = CloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if team is None:
                services.close_period(period=the_period, actor=member, note=note)
            else:
                services.close_for_team(period=the_period, team=team, actor=member, note=note)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            text = (
                _("%(period)s is closed: its OKRs are read-only.") % {"period": the_period.name}
                if team is None
                else _("%(period)s is closed for %(team)s: its OKRs are read-only.")
                % {"period": the_period.name, "team": team.name}
            )
            messages.success(request, text)
            return redirect(checklist_url(member, the_period, team))
    context = {
        "member": member,
        "nav": "periods",
        "period": the_period,
        "team": team,
        "form": form,
        "title": _title(the_period, team),
        "checklist": queries.checklist(member, the_period, team),
        "action": reverse("reporting:close", args=[member.organization.slug, the_period.uid])
        + _scope_query(team),
        "cancel_url": checklist_url(member, the_period, team),
    }
    return render_page(request, CLOSE, context, fragment="form")


@org_view
def reopen(request: HttpRequest, member: Member, period: uuid.UUID) -> HttpResponse:
    """An admin reopens the period (or `?team=` the team's closure of it), saying why."""
    the_period = period_for(member, period)
    team = _team(request, member)
    require_admin(member)
    form = ReopenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if team is None:
                services.reopen_period(period=the_period, actor=member, reason=reason)
            else:
                services.reopen_for_team(period=the_period, team=team, actor=member, reason=reason)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            text = (
                _("%(period)s is open again.") % {"period": the_period.name}
                if team is None
                else _("%(period)s is open again for %(team)s.")
                % {"period": the_period.name, "team": team.name}
            )
            messages.success(request, text)
            return redirect(checklist_url(member, the_period, team))
    context = {
        "member": member,
        "nav": "periods",
        "period": the_period,
        "team": team,
        "form": form,
        "closure": queries.closure_of(the_period, team),
        "action": reverse("reporting:reopen", args=[member.organization.slug, the_period.uid])
        + _scope_query(team),
        "cancel_url": checklist_url(member, the_period, team),
    }
    return render_page(request, REOPEN, context, fragment="form")


# Carry-over ---------------------------------------------------------------------------------


class _CarryFailed(Exception):
    def __init__(self, objective: Objective, error: ValidationError) -> None:
        super().__init__(objective.title)
        self.objective = objective
        self.error = error


def _carry_all(member: Member, plan: list[tuple[Objective, list[KeyResult]]]) -> list[Objective]:
    """All of them or none: a failure names its objective and undoes the others."""
    created = []
    with transaction.atomic():
        for objective, key_results in plan:
            try:
                created.append(
                    services.carry_over(actor=member, objective=objective, key_results=key_results)
                )
            except ValidationError as exc:
                raise _CarryFailed(objective, exc) from exc
    return created


@org_view
@require_POST
def checklist_carry_over(request: HttpRequest, member: Member, period: uuid.UUID) -> HttpResponse:
    """Carry the chosen objectives over from the checklist, each with its ticked key
    results; back to the checklist, which shows where they continue."""
    the_period, team = _scope(request, member, period)
    data = queries.checklist(member, the_period, team)
    carriable = data.carriable
    form = ChecklistCarryOverForm(
        request.POST,
        objectives=[item.objective for item in carriable],
        key_results=[choice.key_result for item in carriable for choice in item.open_choices],
    )
    if form.is_valid():
        try:
            created = _carry_all(member, form.plan())
        except _CarryFailed as failed:
            for message in failed.error.messages:
                form.add_error(
                    None,
                    _("“%(title)s”: %(message)s")
                    % {"title": failed.objective.title, "message": message},
                )
        else:
            text = ngettext(
                "Carried over into %(period)s: %(titles)s.",
                "Carried over into %(period)s: %(titles)s.",
                len(created),
            ) % {
                "period": created[0].period.name,
                "titles": ", ".join(f"“{objective.title}”" for objective in created),
            }
            if is_htmx(request):
                context = _checklist_context(member, the_period, team, notice=("success", text))
                return render_page(request, CHECKLIST, context, fragment="checklist")
            messages.success(request, text)
            return redirect(checklist_url(member, the_period, team) + "#carry-over")
    sent = {name: set(request.POST.getlist(name)) for name in ("key_results", "objectives")}
    context = _checklist_context(member, the_period, team, carry_form=form, sent=sent)
    return render_page(request, CHECKLIST, context, fragment="checklist")


def _carry_choices(
    member: Member, objective: Objective, target: Period | None
) -> tuple[list[KeyResult], list[KeyResult], list[tuple[KeyResult, KeyResult]]]:
    """The visible key results that may still be continued, those offered ticked (not
    achieved), and those continued already with their continuation."""
    continuations = (
        KeyResult.objects.visible_to(member)
        .filter(objective__period=target)
        .select_related("objective__period")
        if target is not None
        else KeyResult.objects.none()
    )
    key_results = list(
        KeyResult.objects.visible_to(member)
        .filter(objective=objective)
        .order_by("position", "id")
        .prefetch_related(Prefetch("continued_into", continuations, to_attr="continuations"))
    )
    threshold = member.organization.achieved_threshold
    choices, checked, done = [], [], []
    for kr in key_results:
        following = kr.continuations  # type: ignore[attr-defined]
        if following:
            done.append((kr, following[0]))
            continue
        choices.append(kr)
        if services.is_unfinished(kr, threshold):
            checked.append(kr)
    return choices, checked, done


@org_view
def carry_over(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    """Continue one objective in the next period with the chosen key results (default: the
    unfinished ones), then go to the continuation."""
    the_objective = objective_for(member, objective, write=True)
    try:
        target: Period | None = services.carry_over_target(the_objective)
        problems: list[str] = []
    except services.NoNextPeriod as exc:
        target, problems = None, exc.messages
    choices, checked, done = _carry_choices(member, the_objective, target)
    form = CarryOverForm(
        request.POST if request.method == "POST" else None, choices=choices, checked=checked
    )
    if request.method == "POST" and target is not None and form.is_valid():
        try:
            created = services.carry_over(
                actor=member,
                objective=the_objective,
                key_results=list(form.cleaned_data["key_results"]),
                to=target,
            )
        except PeriodClosed as exc:
            # The next period is closed: the answer to this form, not a refused write to it.
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("“%(title)s” continues in %(period)s.")
                % {"title": created.title, "period": target.name},
            )
            return redirect("okrs:objective", member.organization.slug, created.uid)
    objective_url = reverse("okrs:objective", args=[member.organization.slug, the_objective.uid])
    context = {
        "member": member,
        "nav": "home",
        "objective": the_objective,
        "form": form,
        "target": target,
        "problems": problems,
        "continued": done,
        "has_choices": bool(choices),
        "continuation": Objective.objects.visible_to(member)
        .filter(continued_from=the_objective, period=target)
        .first()
        if target is not None
        else None,
        "next_quarter_name": queries.next_quarter_name(the_objective.period),
        "action": request.get_full_path(),
        "cancel_url": objective_url,
    }
    return render_page(request, CARRY_OVER, context, fragment="form")


@org_view
@require_POST
def create_next_period(request: HttpRequest, member: Member, period: uuid.UUID) -> HttpResponse:
    """The one-click way out of "there is no next period": an admin creates the quarter
    after this one and goes back to where carry-over was asked for."""
    the_period = period_for(member, period, write=True)
    back = next_url(request, checklist_url(member, the_period))
    if the_period.kind != PeriodKind.QUARTER:
        messages.error(
            request,
            _("Create the period after %(period)s on the Periods page.")
            % {"period": the_period.name},
        )
        return redirect(back)
    following = the_period.following()
    if following is not None:
        messages.info(request, _("%(period)s exists already.") % {"period": following.name})
        return redirect(back)
    try:
        created = org_services.create_next_quarter(
            organization=member.organization, actor=member, today=member.organization.today()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Period “%(name)s” created.") % {"name": created.name})
    return redirect(back)
