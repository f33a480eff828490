"""Organization pages: sign-in landing, teams, people, periods and settings.

Every view has one shape: gate (cairn.orgs.access) → form → service → redirect, or for htmx
the refreshed fragment of the same template.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cairn.lib.htmx import is_htmx, render_page
from cairn.orgs import history, queries, services
from cairn.orgs.access import org_view, other_member_for, period_for, require_admin, team_for
from cairn.orgs.forms import (
    MemberCreateForm,
    MemberEditForm,
    OrganizationForm,
    PeriodForm,
    TeamForm,
    TeamMemberForm,
    attach_errors,
)
from cairn.orgs.models import Member


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Send a signed-in person to the organization they belong to (or the first of several)."""
    memberships = list(
        Member.objects.filter(user=request.user, is_active=True)  # type: ignore[misc]
        .select_related("organization")
        .order_by("organization__name")
    )
    if len(memberships) == 1:
        return redirect("okrs:home", org=memberships[0].organization.slug)
    return render(request, "orgs/start.html", {"memberships": memberships})


def _context(member: Member, nav: str, **extra: Any) -> dict[str, Any]:
    return {"member": member, "org_slug": member.organization.slug, "nav": nav, **extra}


def _data(request: HttpRequest) -> Any:
    """The POST data when the form was submitted, so that an empty POST still shows errors."""
    return request.POST if request.method == "POST" else None


# Teams ------------------------------------------------------------------------------------


@org_view
def teams(request: HttpRequest, member: Member) -> HttpResponse:
    tree = queries.team_tree(member.organization)
    return render(request, "orgs/teams.html", _context(member, "teams", tree=tree))


@org_view
def team_create(request: HttpRequest, member: Member) -> HttpResponse:
    require_admin(member)
    organization = member.organization
    form = TeamForm(_data(request), organization=organization)
    if form.is_valid():
        try:
            team = services.create_team(
                organization=organization, actor=member, **form.cleaned_data
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
            return redirect("orgs:teams", organization.slug)
    return render(request, "orgs/team_form.html", _context(member, "teams", form=form))


@org_view
def team_edit(request: HttpRequest, member: Member, team: str) -> HttpResponse:
    obj = team_for(member, team, write=True)
    form = TeamForm(_data(request), organization=member.organization, team=obj)
    saved = False
    if form.is_valid():
        try:
            services.update_team(team=obj, actor=member, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if not is_htmx(request):
                messages.success(request, _("Team “%(name)s” saved.") % {"name": obj.name})
                return redirect("orgs:teams", member.organization.slug)
            form = TeamForm(organization=member.organization, team=obj)
            saved = True
    context = _context(
        member,
        "teams",
        team=obj,
        form=form,
        history=history.readable_history(member.organization, "team", obj.uid),
        saved=saved,
    )
    return render_page(request, "orgs/team_form.html", context, fragment="form")


@org_view
def team_delete(request: HttpRequest, member: Member, team: str) -> HttpResponse:
    obj = team_for(member, team, write=True)
    errors: list[str] = []
    if request.method == "POST":
        name = obj.name
        try:
            services.delete_team(team=obj, actor=member)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("Team “%(name)s” deleted.") % {"name": name})
            return redirect("orgs:teams", member.organization.slug)
    context = _context(member, "teams", team=obj, errors=errors)
    return render(request, "orgs/team_delete.html", context)


@org_view
def team_members(request: HttpRequest, member: Member, team: str) -> HttpResponse:
    obj = team_for(member, team, write=True)
    form = TeamMemberForm(_data(request), team=obj)
    if form.is_valid():
        person = form.cleaned_data["member"]
        try:
            if form.cleaned_data["op"] == TeamMemberForm.REMOVE:
                services.remove_team_member(team=obj, member=person, actor=member)
            else:
                services.add_team_member(team=obj, member=person, actor=member)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if not is_htmx(request):
                return redirect("orgs:team_members", member.organization.slug, obj.uid)
            form = TeamMemberForm(team=obj)
    current = list(queries.team_members(obj))
    current_ids = {person.pk for person in current}
    candidates = [p for p in queries.active_members(obj.organization) if p.pk not in current_ids]
    context = _context(member, "teams", team=obj, form=form, current=current, candidates=candidates)
    return render_page(request, "orgs/team_members.html", context, fragment="members")


# People -----------------------------------------------------------------------------------


@org_view
def people(request: HttpRequest, member: Member) -> HttpResponse:
    context = _context(member, "people", people=queries.people(member.organization))
    return render(request, "orgs/people.html", context)


@org_view
def person_create(request: HttpRequest, member: Member) -> HttpResponse:
    require_admin(member)
    organization = member.organization
    form = MemberCreateForm(_data(request), organization=organization)
    if form.is_valid():
        data = form.cleaned_data
        # An existing account keeps its password: adding someone to this organization must
        # never change how they sign in elsewhere.
        existing = queries.user_exists(data["email"])
        generated = "" if existing or data["password"] else services.generate_password()
        try:
            person = services.add_member(
                organization=organization,
                actor=member,
                email=data["email"],
                name=data["name"],
                role=data["role"],
                title=data["title"],
                team=data["team"],
                password=None if existing else (data["password"] or generated),
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            context = _context(
                member, "people", person=person, generated=generated, existing=existing
            )
            return render(request, "orgs/person_added.html", context)
    return render(request, "orgs/person_form.html", _context(member, "people", form=form))


@org_view
def person_edit(request: HttpRequest, member: Member, person: str) -> HttpResponse:
    other = other_member_for(member, person, write=True)
    form = MemberEditForm(_data(request), person=other)
    saved = False
    if form.is_valid():
        try:
            services.change_member(member=other, actor=member, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if not is_htmx(request):
                messages.success(request, _("%(name)s saved.") % {"name": other.name})
                return redirect("orgs:people", member.organization.slug)
            form = MemberEditForm(person=other)
            saved = True
    context = _context(
        member,
        "people",
        person=other,
        form=form,
        history=history.readable_history(member.organization, "member", other.uid),
        saved=saved,
    )
    return render_page(request, "orgs/person_edit.html", context, fragment="form")


# Periods ----------------------------------------------------------------------------------


def _periods_page(
    request: HttpRequest, member: Member, notice: tuple[str, str] | None = None
) -> HttpResponse:
    context = _context(
        member, "periods", periods=queries.periods(member.organization), notice=notice
    )
    return render_page(request, "orgs/periods.html", context, fragment="periods")


def _after_period_change(
    request: HttpRequest, member: Member, level: str, text: str
) -> HttpResponse:
    """htmx gets the refreshed list with the notice in it; a plain form the redirect."""
    if is_htmx(request):
        return _periods_page(request, member, (level, text))
    messages.add_message(request, messages.ERROR if level == "error" else messages.SUCCESS, text)
    return redirect("orgs:periods", member.organization.slug)


@org_view
def periods(request: HttpRequest, member: Member) -> HttpResponse:
    return _periods_page(request, member)


@org_view
def period_create(request: HttpRequest, member: Member) -> HttpResponse:
    require_admin(member)
    form = PeriodForm(_data(request))
    if form.is_valid():
        try:
            period = services.create_period(
                organization=member.organization, actor=member, **form.cleaned_data
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            text = _("Period “%(name)s” created.") % {"name": period.name}
            return _after_period_change(request, member, "success", text)
    return render(request, "orgs/period_form.html", _context(member, "periods", form=form))


@org_view
def period_edit(request: HttpRequest, member: Member, period: str) -> HttpResponse:
    obj = period_for(member, period, write=True)
    form = PeriodForm(_data(request), period=obj)
    saved = False
    if form.is_valid():
        try:
            services.update_period(period=obj, actor=member, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if not is_htmx(request):
                messages.success(request, _("Period “%(name)s” saved.") % {"name": obj.name})
                return redirect("orgs:periods", member.organization.slug)
            form = PeriodForm(period=obj)
            saved = True
    context = _context(
        member,
        "periods",
        period=obj,
        form=form,
        history=history.readable_history(member.organization, "period", obj.uid),
        saved=saved,
    )
    return render_page(request, "orgs/period_form.html", context, fragment="form")


@org_view
def period_delete(request: HttpRequest, member: Member, period: str) -> HttpResponse:
    obj = period_for(member, period, write=True)
    if request.method != "POST":
        return render(request, "orgs/period_delete.html", _context(member, "periods", period=obj))
    name = obj.name
    try:
        services.delete_period(period=obj, actor=member)
    except ValidationError as error:
        return _after_period_change(request, member, "error", " ".join(error.messages))
    text = _("Period “%(name)s” deleted.") % {"name": name}
    return _after_period_change(request, member, "success", text)


@org_view
@require_POST
def period_next_quarter(request: HttpRequest, member: Member) -> HttpResponse:
    require_admin(member)
    try:
        period = services.create_next_quarter(
            organization=member.organization, actor=member, today=member.organization.today()
        )
    except ValidationError as error:
        return _after_period_change(request, member, "error", " ".join(error.messages))
    text = _("Period “%(name)s” created.") % {"name": period.name}
    return _after_period_change(request, member, "success", text)


# Organization settings --------------------------------------------------------------------


@org_view
def settings(request: HttpRequest, member: Member) -> HttpResponse:
    require_admin(member)
    organization = member.organization
    form = OrganizationForm(_data(request), organization=organization)
    saved = False
    if form.is_valid():
        try:
            services.update_organization(
                organization=organization, actor=member, **form.cleaned_data
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if not is_htmx(request):
                messages.success(request, _("Settings saved."))
                return redirect("orgs:settings", organization.slug)
            form = OrganizationForm(organization=organization)
            saved = True
    context = _context(
        member,
        "settings",
        form=form,
        history=history.readable_history(organization, "organization", organization.uid),
        saved=saved,
    )
    return render_page(request, "orgs/settings.html", context, fragment="form")
