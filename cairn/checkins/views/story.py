"""The key result page (its story: chart, confidence trend, timeline) and writing check-ins.

Every view: gate (`key_result_for` / `CheckIn.objects.visible_to`) → form → service →
redirect or render. The check-in form opens in place with htmx in three places, named by
`place`: "row" (a key result row on the objective page), "page" (the key result page) and
"slot" (anywhere else, e.g. the inbox); without JavaScript it is a page of its own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cairn.alignment.queries import dependencies as dependency_queries
from cairn.checkins import queries as checkin_queries
from cairn.checkins import services
from cairn.checkins.forms import CheckInForm, CorrectionForm, DeleteForm
from cairn.checkins.models import CheckIn, Outcome
from cairn.lib import charts, rhythm
from cairn.okrs import queries
from cairn.okrs.models import Initiative, KeyResult
from cairn.okrs.queries import continuity
from cairn.okrs.views.common import is_htmx, org_today, render_form
from cairn.okrs.views.objectives import objective_sections
from cairn.orgs.access import (
    can_edit_initiative,
    can_edit_key_result,
    key_result_for,
    org_view,
    require_admin,
    require_writer,
)
from cairn.orgs.forms import attach_errors
from cairn.orgs.models import Member

PAGE = "checkins/key_result.html"
FORM = "checkins/check_in_form.html"
CORRECT = "checkins/check_in_correct.html"
PLACES = ("row", "page", "slot")

OUTCOME_LABELS = dict(Outcome.choices)


def key_result_url(member: Member, key_result: KeyResult) -> str:
    return reverse("checkins:key_result", args=[member.organization.slug, key_result.uid])


def _place(request: HttpRequest) -> str:
    if not is_htmx(request):
        return ""
    place = request.POST.get("place") or request.GET.get("place") or "page"
    return place if place in PLACES else "slot"


# The story --------------------------------------------------------------------------------


@dataclass
class EarlierText:
    at: dt.datetime
    editor: Member | None
    lines: list[tuple[str, str]]


@dataclass
class Entry:
    """One check-in on the timeline, with what the template cannot work out by itself."""

    check_in: CheckIn
    band: str = ""
    band_label: str = ""
    outcome_label: str = ""
    can_correct: bool = False
    earlier: list[EarlierText] = field(default_factory=list)


def _earlier_texts(check_in: CheckIn) -> list[EarlierText]:
    """The text before each correction. A tombstone's revision (its deleted text) is never
    shown: deleting is meant to take the words off the page."""
    if check_in.is_deleted:
        return []
    labels = CorrectionForm.LABELS
    result = []
    for revision in check_in.revisions.all():
        before = revision.before or {}
        lines = [
            (str(labels[name]), str(before[name]))
            for name in services.TEXT_FIELDS
            if before.get(name)
        ]
        result.append(EarlierText(at=revision.at, editor=revision.editor, lines=lines))
    return result


def _entries(member: Member, check_ins: list[CheckIn]) -> list[Entry]:
    now = timezone.now()
    entries = []
    for check_in in check_ins:
        entry = Entry(check_in=check_in)
        if check_in.is_deleted:
            entries.append(entry)
            continue
        if check_in.confidence is not None:
            entry.band = rhythm.band(check_in.confidence).value
            entry.band_label = charts.band_label(check_in.confidence)
        if check_in.reflection_outcome:
            entry.outcome_label = str(OUTCOME_LABELS.get(check_in.reflection_outcome, ""))
        entry.can_correct = services.can_correct(check_in, member, now=now)
        entry.earlier = _earlier_texts(check_in)
        entries.append(entry)
    return entries


def story_context(member: Member, kr: KeyResult) -> dict[str, Any]:
    """Everything the key result page shows, in a fixed number of queries whatever the number
    of check-ins: one for the check-ins (authors joined), one for their revisions."""
    today = org_today(member)
    period = kr.objective.period
    check_ins = list(
        CheckIn.objects.visible_to(member)
        .filter(key_result=kr)
        .select_related(
            "author__user", "deleted_by__user", "blocker_resolved_by__user", "reflects_on"
        )
        .prefetch_related("revisions__editor__user")
        .order_by("-at", "-id")
    )
    live = [c for c in check_ins if not c.is_deleted]
    # The latest live Result is the one the key result's score rolled up from.
    result = next((c for c in live if c.has_result), None)
    progress_points = [
        (timezone.localdate(c.at), float(c.progress_value))
        for c in reversed(live)
        if c.progress_value is not None
    ]
    confidence_points = [
        (timezone.localdate(c.at), c.confidence) for c in reversed(live) if c.confidence is not None
    ]
    progress_chart = charts.progress_chart(
        progress_points,
        start=float(kr.start_value),
        target=float(kr.target_value),
        period_start=period.start,
        period_end=period.end,
        today=today,
        title=_("Progress of “%(title)s”") % {"title": kr.title},
        unit=kr.unit,
    )
    confidence_chart = charts.confidence_chart(
        confidence_points,
        period_start=period.start,
        period_end=period.end,
        today=today,
        title=_("Confidence in “%(title)s”") % {"title": kr.title},
    )
    # The roll-up decides whether there is a current Next Up: a reflection without a new
    # plan ends the previous one, and the result goes still.
    next_up = next((c for c in live if c.has_next_up), None) if kr.next_up_due else None
    staleness = checkin_queries.staleness_of(kr, member.organization, today)
    return {
        "key_result": kr,
        "objective": kr.objective,
        "progress": queries.ProgressView.of(kr.progress, period, today),
        "today": today,
        "entries": _entries(member, check_ins),
        "progress_chart": SafeString(progress_chart.svg),
        "progress_summary": progress_chart.summary,
        "confidence_chart": SafeString(confidence_chart.svg),
        "confidence_summary": confidence_chart.summary,
        "confidence_band": rhythm.band(kr.confidence).value if kr.confidence is not None else "",
        "confidence_label": charts.band_label(kr.confidence) if kr.confidence is not None else "",
        "leaning_on": dependency_queries.leaning_on(member, kr),
        "next_up": next_up,
        "next_up_overdue": bool(kr.next_up_due and kr.next_up_due < today),
        "open_blockers": [c for c in live if c.is_open_blocker],
        "result": result,
        "staleness": staleness.value,
        "staleness_label": queries.STALENESS_LABELS[staleness],
        "staleness_help": queries.STALENESS_HELP[staleness],
    }


@org_view
def key_result_page(request: HttpRequest, member: Member, key_result: uuid.UUID) -> HttpResponse:
    kr = key_result_for(member, key_result)
    initiatives = []
    for initiative in (
        Initiative.objects.visible_to(member)
        .filter(key_result=kr)
        .select_related("team", "owner__user")
        .order_by("created_at", "id")
    ):
        # The gate already loaded the objective with its owning teams: no query per row.
        initiative.objective = kr.objective
        editable = can_edit_initiative(member, initiative) and not kr.objective.is_closed
        initiatives.append((initiative, editable))
    context = {
        "member": member,
        "nav": "home",
        **story_context(member, kr),
        # A closed period's key result is read-only: no edit buttons (the services refuse).
        "can_edit": can_edit_key_result(member, kr) and not kr.objective.is_closed,
        "read_only": continuity.read_only(kr.objective),
        "continuity": continuity.of_key_result(member, kr),
        "initiatives": initiatives,
        "down": queries.alignment_down(member, key_result=kr),
        "history": queries.history_lines(member, "key_result", kr.uid),
    }
    return render(request, PAGE, context)


def _story_response(request: HttpRequest, member: Member, kr: KeyResult) -> HttpResponse:
    """The page's story sections; out of band, the header (progress, pace, confidence and
    staleness moved too) and the check-in slot back to its button."""
    context = {"member": member, **story_context(member, kr)}
    story = render_to_string(f"{PAGE}#story", context, request=request)
    head = render_to_string(f"{PAGE}#head", {**context, "oob": True}, request=request)
    slot = render_to_string(f"{PAGE}#check_in_slot", {**context, "oob": True}, request=request)
    return HttpResponse(story + head + slot)


def _inbox_row_response(request: HttpRequest, member: Member, kr: KeyResult) -> HttpResponse:
    """After a check-in from an inbox row: that row in its new state (due, Next Up, confidence,
    staleness) in place of the whole row, and the inbox's counts out of band. Swapping only
    these, not re-reading the inbox, leaves other forms being filled in untouched."""
    today = org_today(member)
    # The rows only: the row and the counts are all this answer shows.
    inbox = checkin_queries.inbox_rows(member, today)
    row = next((r for r in inbox.rows if r.key_result.pk == kr.pk), None)
    context = {"member": member, "inbox": inbox, "oob": True}
    counts = render_to_string("checkins/inbox.html#counts", context, request=request)
    if row is None:
        # Done now, or not this person's to check in on: the slot says so and links to it.
        done = render_to_string(
            "checkins/_check_in_done.html",
            {"member": member, "key_result": kr, "url": key_result_url(member, kr)},
            request=request,
        )
        response = HttpResponse(done + counts)
    else:
        html = render_to_string(
            "checkins/inbox_row.html",
            {"member": member, "row": row, "recorded": True},
            request=request,
        )
        response = HttpResponse(html + counts)
        response["HX-Retarget"] = f"#inbox-kr-{kr.uid}"
        response["HX-Reswap"] = "outerHTML"
    # Anything else on the page that lists key results may listen for it.
    response["HX-Trigger"] = "checkInRecorded"
    return response


# Writing a check-in -------------------------------------------------------------------------


@org_view
def check_in_new(request: HttpRequest, member: Member, key_result: uuid.UUID) -> HttpResponse:
    kr = key_result_for(member, key_result)
    # OKRs are transparent and a check-in is a contribution, not an edit: any writer who can
    # see the key result may check in on it, not only its owner or the owning teams.
    require_writer(member)
    previous = services.current_next_up(kr)
    results_open = services.results_are_open(kr, services.org_today(member.organization))
    form = CheckInForm(
        request.POST or None,
        key_result=kr,
        previous=previous,
        default_due=services.default_next_up_due(member.organization),
        results_open=results_open,
        # The score is computed from the final value; only who may edit the key result may
        # override it (the service's rule), so only they are offered the field.
        can_override=can_edit_key_result(member, kr),
        # Several forms may be open on one page (rows, the inbox): ids must not collide.
        auto_id=f"ci_{kr.uid.hex[:8]}_%s",
    )
    place = _place(request)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_check_in(key_result=kr, author=member, **form.sections())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return _checked_in(request, member, kr, place)
    action = reverse("checkins:check_in_new", args=[member.organization.slug, kr.uid])
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "key_result": kr,
        "objective": kr.objective,
        "previous": previous,
        "score_now": services.computed_score(kr, kr.current_value) if results_open else None,
        "action": action,
        "place": place,
        "cancel_url": key_result_url(member, kr),
        "objective_url": reverse(
            "okrs:objective", args=[member.organization.slug, kr.objective.uid]
        ),
    }
    return render_form(request, FORM, context)


def _checked_in(request: HttpRequest, member: Member, kr: KeyResult, place: str) -> HttpResponse:
    if place == "row":
        # The row's value and progress, and the objective's progress in its head, moved.
        return objective_sections(request, member, kr.objective.uid, "key_results", oob=("head",))
    if place == "page":
        return _story_response(request, member, kr)
    if place == "slot":
        return _inbox_row_response(request, member, kr)
    messages.success(request, _("Check-in recorded."))
    return redirect(key_result_url(member, kr))


# Correcting and deleting --------------------------------------------------------------------


def _check_in_for(member: Member, uid: uuid.UUID) -> CheckIn:
    check_in = (
        CheckIn.objects.visible_to(member)
        .select_related("key_result", "author__user")
        .filter(uid=uid)
        .first()
    )
    if check_in is None:
        raise Http404
    return check_in


@org_view
def check_in_correct(request: HttpRequest, member: Member, check_in: uuid.UUID) -> HttpResponse:
    the_check_in = _check_in_for(member, check_in)
    kr = key_result_for(member, the_check_in.key_result.uid)
    require_writer(member)
    if not services.can_correct(the_check_in, member):
        raise PermissionDenied(
            _("Only the author can correct a check-in, within %(minutes)d minutes.")
            % {"minutes": int(services.CORRECTION_WINDOW.total_seconds() // 60)}
        )
    form = CorrectionForm(request.POST or None, check_in=the_check_in)
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_check_in(check_in=the_check_in, editor=member, **form.changes())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if is_htmx(request):
                return _story_response(request, member, kr)
            messages.success(request, _("Check-in corrected."))
            return redirect(key_result_url(member, kr))
    context = {
        "member": member,
        "nav": "home",
        "form": form,
        "check_in": the_check_in,
        "key_result": kr,
        "action": reverse("checkins:check_in_correct", args=[member.organization.slug, check_in]),
        "cancel_url": key_result_url(member, kr),
        "in_place": is_htmx(request),
    }
    return render_form(request, CORRECT, context)


@org_view
def check_in_delete(request: HttpRequest, member: Member, check_in: uuid.UUID) -> HttpResponse:
    the_check_in = _check_in_for(member, check_in)
    kr = key_result_for(member, the_check_in.key_result.uid)
    require_admin(member)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.delete_check_in(
            check_in=the_check_in, actor=member, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Check-in deleted; a tombstone stays in its place."))
        return redirect(key_result_url(member, kr))
    return render(
        request,
        "checkins/check_in_delete.html",
        {
            "member": member,
            "nav": "home",
            "form": form,
            "check_in": the_check_in,
            "key_result": kr,
            "action": reverse(
                "checkins:check_in_delete", args=[member.organization.slug, check_in]
            ),
            "cancel_url": key_result_url(member, kr),
        },
    )


urlpatterns: list[URLPattern] = [
    path("key-results/<uuid:key_result>/", key_result_page, name="key_result"),
    path("key-results/<uuid:key_result>/check-in/", check_in_new, name="check_in_new"),
    path("check-ins/<uuid:check_in>/correct/", check_in_correct, name="check_in_correct"),
    path("check-ins/<uuid:check_in>/delete/", check_in_delete, name="check_in_delete"),
]
