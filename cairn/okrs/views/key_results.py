"""Key result authoring (in place on the objective page with htmx). The key result page
itself, which tells the story of its check-ins, lives in `checkins.views.story`."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cairn.lib.numbers import tidy
from cairn.okrs import services
from cairn.okrs.forms import KeyResultForm, NewKeyResultForm
from cairn.okrs.views.common import is_htmx, next_url, render_form
from cairn.okrs.views.objectives import objective_sections, objective_url
from cairn.orgs.access import (
    key_result_for,
    objective_for,
    org_view,
)
from cairn.orgs.forms import attach_errors
from cairn.orgs.models import Member

FORM_TEMPLATE = "okrs/key_result_form.html"


def _key_result_sections(
    request: HttpRequest, member: Member, objective_uid: uuid.UUID
) -> HttpResponse:
    # The objective's progress in its head moves with its key results.
    return objective_sections(request, member, objective_uid, "key_results", oob=("head",))


@org_view
def key_result_new(request: HttpRequest, member: Member, objective: uuid.UUID) -> HttpResponse:
    the_objective = objective_for(member, objective, write=True)
    form = NewKeyResultForm(request.POST or None, member=member, initial={"owner": member})
    if request.method == "POST" and form.is_valid():
        try:
            services.create_key_result(actor=member, objective=the_objective, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return _key_result_sections(request, member, the_objective.uid)
            messages.success(request, _("Key result added."))
            return redirect(objective_url(member, the_objective))
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "objective": the_objective,
        "action": reverse("okrs:key_result_new", args=[member.organization.slug, objective]),
        "cancel_url": objective_url(member, the_objective),
        "in_place": "new" if is_htmx(request) else "",
    }
    return render_form(request, FORM_TEMPLATE, context)


@org_view
def key_result_edit(request: HttpRequest, member: Member, key_result: uuid.UUID) -> HttpResponse:
    kr = key_result_for(member, key_result, write=True)
    initial = {
        name: getattr(kr, name)
        for name in (
            "title",
            "kind",
            "start_value",
            "target_value",
            "unit",
            "direction",
            "weight",
            "owner",
            "description",
            "visibility",
        )
    }
    for name in ("start_value", "target_value", "weight"):
        initial[name] = tidy(initial[name])
    initial["shared_with"] = list(kr.shared_with.all())
    form = KeyResultForm(request.POST or None, member=member, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.update_key_result(
                key_result=kr, actor=member, shared_with=list(data.pop("shared_with")), **data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return _key_result_sections(request, member, kr.objective.uid)
            messages.success(request, _("Key result saved."))
            return redirect(next_url(request, objective_url(member, kr.objective)))
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "objective": kr.objective,
        "key_result": kr,
        "action": reverse("okrs:key_result_edit", args=[member.organization.slug, key_result]),
        "cancel_url": objective_url(member, kr.objective),
        "in_place": "row" if is_htmx(request) else "",
    }
    return render_form(request, FORM_TEMPLATE, context)


@org_view
def key_result_delete(request: HttpRequest, member: Member, key_result: uuid.UUID) -> HttpResponse:
    kr = key_result_for(member, key_result, write=True)
    objective = kr.objective
    if request.method == "POST":
        services.delete_key_result(key_result=kr, actor=member)
        if is_htmx(request):
            return _key_result_sections(request, member, objective.uid)
        messages.success(request, _("Key result deleted."))
        return redirect(objective_url(member, objective))
    return render(
        request,
        "okrs/confirm_delete.html",
        {
            "member": member,
            "nav": "home",
            "what": _("key result"),
            "title": kr.title,
            "consequence": _("Its initiatives are deleted with it."),
            "action": request.get_full_path(),
            "cancel_url": objective_url(member, objective),
        },
    )
