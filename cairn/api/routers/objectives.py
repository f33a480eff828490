"""API v1: objectives, key results, initiatives and alignment links.

The same gate (`orgs.access` and the `visible_to` QuerySets) and the same services as the web
UI: anything the caller may not see is a 404, a write without rights a 403, bad input a 422
naming the field. Lists read a page in a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.query import prefetch_related_objects
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from cairn.api.auth import member_of
from cairn.api.common import Page, PageParams, check_fresh, paginate, paginate_keys
from cairn.api.errors import Error
from cairn.api.schemas_okrs import (
    AlignedParent,
    AlignmentIn,
    DeferIn,
    InitiativeFilters,
    InitiativeIn,
    InitiativeOut,
    InitiativePatch,
    KeyResultFilters,
    KeyResultIn,
    KeyResultOut,
    KeyResultPatch,
    ObjectiveFilters,
    ObjectiveIn,
    ObjectiveOut,
    ObjectivePatch,
)
from cairn.checkins.models import CheckIn
from cairn.lib import rhythm
from cairn.okrs import queries, services
from cairn.okrs.models import (
    Alignment,
    Initiative,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveTeam,
)
from cairn.orgs.access import (
    can_edit_initiative,
    can_edit_key_result,
    can_edit_objective,
    initiative_for,
    key_result_for,
    objective_for,
    other_member_for,
    period_for,
    require_writer,
    team_for,
    team_ids_of,
)
from cairn.orgs.models import Member, Organization, Team

router = Router(tags=["objectives"])

# The shared errors (401, 403, 404, 422, ...) are documented on every operation by the API
# itself; a PATCH adds its own: the race it lost.
CONFLICT: dict[int, Any] = {409: Error}

M = TypeVar("M", bound=models.Model)


# Shared helpers -----------------------------------------------------------------------------


def _person(member: Member | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": str(member.uid), "name": member.name, "email": member.user.email}


def _score(key_result: KeyResult) -> float | None:
    return None if key_result.score is None else float(key_result.score)


def _moment(value: dt.datetime, field: str) -> dt.datetime:
    """A moment sent by the client, in UTC; without an offset it is read as UTC."""
    aware = value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)
    try:
        return aware.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValidationError({field: _("That moment is out of range.")}) from exc


def _choice(field: str, find: Callable[..., M], member: Member, uid: uuid.UUID) -> M:
    """An id given in the input: one the caller cannot find is bad input (422 on that field),
    the same answer whether it does not exist or is another organization's."""
    try:
        return find(member, uid)
    except Http404 as exc:
        raise ValidationError({field: _("No such item: check the id.")}) from exc


def _members(member: Member, uids: Sequence[uuid.UUID], field: str) -> list[Member]:
    """Members to share with: active people of the organization (the form's choice)."""
    found = list(
        Member.objects.in_org(member.organization)
        .filter(uid__in=set(uids), is_active=True)
        .select_related("user")
    )
    if len(found) != len(set(uids)):
        raise ValidationError({field: _("Choose active people of this organization.")})
    return found


def _teams(member: Member, uids: Sequence[uuid.UUID], field: str) -> list[Team]:
    found = list(Team.objects.in_org(member.organization).filter(uid__in=set(uids)))
    if len(found) != len(set(uids)):
        raise ValidationError({field: _("No such team: check the id.")})
    return found


def _optional_person(member: Member, uid: uuid.UUID | None, field: str) -> Member | None:
    return None if uid is None else _choice(field, other_member_for, member, uid)


@contextmanager
def _fields_named(**names: str) -> Iterator[None]:
    """Services name the model's fields (`start_value`); the API names its own (`start`)."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {names.get(key, key): errors for key, errors in exc.error_dict.items()}
        ) from exc


@contextmanager
def _fresh(model: type[models.Model], pk: int, sent: dt.datetime | None) -> Iterator[None]:
    """The optimistic-concurrency check and the write in one transaction, the row locked (on
    PostgreSQL) so that two PATCHes sending the same `updated_at` cannot both win."""
    with transaction.atomic():
        if sent is None:
            yield
            return
        current = model._default_manager.select_for_update().filter(pk=pk)
        check_fresh(current.values_list("updated_at", flat=True).get(), _moment(sent, "updated_at"))
        yield


def _start_of(day: dt.date, organization: Organization) -> dt.datetime:
    """The first moment of `day` on the organization's calendar (as `rhythm.local_date`)."""
    try:
        zone = ZoneInfo(organization.time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def _list_filters(
    member: Member, filters: Any, *, period: str, team: str, owner: str
) -> tuple[Q, dt.datetime | None]:
    """The common filters as one Q: ids become rows through the gate (an unknown id is a 422
    naming the filter), `period`, `team` and `owner` are the lookups they filter on."""
    q = Q()
    if filters.period is not None:
        q &= Q(**{period: _choice("period", period_for, member, filters.period)})
    if filters.team is not None:
        q &= Q(**{team: _choice("team", team_for, member, filters.team)})
    if filters.owner is not None:
        q &= Q(**{owner: _choice("owner", other_member_for, member, filters.owner)})
    since = filters.updated_since
    return q, None if since is None else _moment(since, "updated_since")


def _ordered(qs: QuerySet[M], since: dt.datetime | None) -> QuerySet[M]:
    # Incremental sync pages through changes in the order they happened; otherwise the
    # order of creation, which new items cannot reshuffle.
    return qs.order_by("updated_at", "id") if since else qs.order_by("created_at", "id")


# Objectives ---------------------------------------------------------------------------------


def _aligned_to(member: Member, objectives: list[Objective]) -> dict[int, list[dict[str, Any]]]:
    """Each objective's parents, in at most three queries: the links, then which of their
    parent objectives and key results the caller may see (through the gate, asked only when
    there are parents of that kind), as the objective page's alignment chain shows them:
    redacted (no id, no title) where the caller may not see them."""
    links = list(
        Alignment.objects.in_org(member.organization)
        .filter(child__in=[objective.pk for objective in objectives])
        .select_related("parent_objective", "parent_key_result__objective")
        .order_by("created_at", "id")
    )
    parent_krs = {link.parent_key_result_id for link in links if link.parent_key_result_id}
    parent_objectives = {link.parent_objective_id for link in links if link.parent_objective_id} | {
        link.parent_key_result.objective_id for link in links if link.parent_key_result
    }
    visible_objectives = (
        set(
            Objective.objects.visible_to(member)
            .filter(pk__in=parent_objectives)
            .values_list("pk", flat=True)
        )
        if parent_objectives
        else set()
    )
    visible_krs = (
        set(
            KeyResult.objects.visible_to(member)
            .filter(pk__in=parent_krs)
            .values_list("pk", flat=True)
        )
        if parent_krs
        else set()
    )
    result: dict[int, list[dict[str, Any]]] = {}
    for link in links:
        entry: dict[str, Any]
        parent_kr = link.parent_key_result
        if link.parent_objective is not None and link.parent_objective_id in visible_objectives:
            entry = {
                "kind": "objective",
                "redacted": False,
                "id": str(link.parent_objective.uid),
                "title": link.parent_objective.title,
                "link_id": str(link.uid),
            }
        elif parent_kr is not None and parent_kr.objective_id in visible_objectives:
            parent_objective = {
                "id": str(parent_kr.objective.uid),
                "title": parent_kr.objective.title,
            }
            if parent_kr.pk in visible_krs:
                entry = {
                    "kind": "key_result",
                    "redacted": False,
                    "id": str(parent_kr.uid),
                    "title": parent_kr.title,
                    "objective": parent_objective,
                    "link_id": str(link.uid),
                }
            else:
                entry = {
                    "kind": "key_result",
                    "redacted": True,
                    "objective": parent_objective,
                    "link_id": str(link.uid),
                }
        else:
            # Under a hidden objective not even whether the link goes through one of its key
            # results is told.
            entry = {"kind": "objective", "redacted": True}
        result.setdefault(link.child_id, []).append(entry)
    return result


def _continuity(
    member: Member, items: Sequence[Objective] | Sequence[KeyResult]
) -> tuple[dict[int, dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """What each item was carried over from and into, in at most two queries: which items
    continue these (keys only, without the gate: most items have none), then those and the
    ones these continue that the caller may see (carry-over keeps visibility, sharing may
    differ since), through the gate in one read."""
    if not items:
        return {}, {}
    is_objective = isinstance(items[0], Objective)
    model: type[Objective] | type[KeyResult] = Objective if is_objective else KeyResult
    visible: QuerySet[Any] = (
        Objective.objects.visible_to(member).select_related("period")
        if is_objective
        else KeyResult.objects.visible_to(member).select_related("objective__period")
    )

    def ref(item: Any) -> dict[str, Any]:
        period = item.period if is_objective else item.objective.period
        return {
            "id": str(item.uid),
            "title": item.title,
            "period": {"id": str(period.uid), "name": period.name},
        }

    keys = [item.pk for item in items]
    earlier_ids = {item.continued_from_id for item in items if item.continued_from_id}
    # Keys only, read on the partial index of `continued_from` (no organization filter: it
    # would steer SQLite to an organization index; the gated read below scopes them).
    later_ids = set(
        model._default_manager.filter(continued_from__in=keys).values_list("pk", flat=True)
    )
    if not (earlier_ids or later_ids):
        return {}, {}
    earlier: dict[int, dict[str, Any]] = {}
    later: dict[int, list[dict[str, Any]]] = {}
    for item in visible.filter(pk__in=earlier_ids | later_ids).order_by("created_at", "id"):
        if item.pk in earlier_ids:
            earlier[item.pk] = ref(item)
        if item.pk in later_ids:
            later.setdefault(item.continued_from_id, []).append(ref(item))
    return {
        item.pk: earlier[item.continued_from_id]
        for item in items
        if item.continued_from_id in earlier
    }, later


def _objectives_out(member: Member, objectives: list[Objective]) -> list[dict[str, Any]]:
    """The representation of `objectives`, in at most eight queries whatever their number."""
    prefetch_related_objects(
        objectives,
        Prefetch("team_links", queryset=ObjectiveTeam.objects.select_related("team")),
        Prefetch("shared_with", queryset=Member.objects.select_related("user")),
        # Without their owners: an objective's key results are summed up without them.
        Prefetch(
            "key_results", queryset=KeyResult.objects.visible_to(member), to_attr="visible_krs"
        ),
    )
    aligned = _aligned_to(member, objectives) if objectives else {}
    continued_from, continued_into = _continuity(member, objectives)
    organization = member.organization
    today = organization.today()
    out = []
    for objective in objectives:
        key_results: list[KeyResult] = objective.visible_krs  # type: ignore[attr-defined]
        progress = queries.ProgressView.of(
            queries.objective_progress(key_results), objective.period, today
        )
        teams = sorted(
            (link.team for link in objective.team_links.all()), key=lambda t: t.name.lower()
        )
        out.append(
            {
                "id": str(objective.uid),
                "title": objective.title,
                "description": objective.description,
                "period": {"id": str(objective.period.uid), "name": objective.period.name},
                "visibility": objective.visibility,
                "owner_person": _person(objective.owner_person),
                "owner_teams": [{"id": str(team.uid), "name": team.name} for team in teams],
                "shared_with": [_person(m) for m in objective.shared_with.all()],
                "aligned_to": aligned.get(objective.pk, []),
                "progress": progress.value,
                "pace": progress.pace.value if progress.pace else None,
                # Over the same visible key results as progress: one score, shared OKRs too.
                "score": queries.objective_score(key_results),
                "key_results": [
                    {
                        "id": str(kr.uid),
                        "title": kr.title,
                        "progress": kr.progress,
                        "score": _score(kr),
                        "confidence": kr.confidence,
                        "staleness": queries.staleness_for(kr, organization, today),
                    }
                    for kr in key_results
                ],
                "closed": objective.is_closed,
                "continued_from": continued_from.get(objective.pk),
                "continued_into": continued_into.get(objective.pk, []),
                "can_edit": can_edit_objective(member, objective),
                "created_at": objective.created_at,
                "updated_at": objective.updated_at,
            }
        )
    return out


def _objective_out(member: Member, objective: Objective) -> dict[str, Any]:
    # Re-read after a write: the gate's prefetched owners may be out of date. Scoped to the
    # organization, not to what the caller may see: they have just written it (a private
    # objective given to someone else), and its nested parts are still read through the gate.
    fresh = (
        Objective.objects.in_org(member.organization)
        .select_related("period", "owner_person__user")
        .get(pk=objective.pk)
    )
    return _objectives_out(member, [fresh])[0]


@router.get(
    "/objectives",
    response={200: Page[ObjectiveOut]},
    summary="List the objectives you may see",
)
def list_objectives(
    request: HttpRequest, page: Query[PageParams], filters: Query[ObjectiveFilters]
) -> dict[str, Any]:
    member = member_of(request)
    q, since = _list_filters(
        member, filters, period="period", team="team_links__team", owner="owner_person"
    )
    qs = Objective.objects.visible_to(member).filter(q)
    if since is not None:
        changed_krs = KeyResult.objects.visible_to(member).filter(
            Q(updated_at__gte=since) | Q(last_check_in_at__gte=since), objective=OuterRef("pk")
        )
        new_links = Alignment.objects.filter(child=OuterRef("pk"), created_at__gte=since)
        qs = qs.filter(Q(updated_at__gte=since) | Exists(changed_krs) | Exists(new_links))
    result = paginate(_ordered(qs.select_related("period", "owner_person__user"), since), page)
    result["items"] = _objectives_out(member, result["items"])
    return result


@router.post("/objectives", response={201: ObjectiveOut}, summary="Create an objective")
def create_objective(request: HttpRequest, payload: ObjectiveIn) -> Status[dict[str, Any]]:
    member = member_of(request)
    require_writer(member)
    objective = services.create_objective(
        actor=member,
        period=_choice("period", period_for, member, payload.period),
        title=payload.title,
        description=payload.description,
        owner_person=_optional_person(member, payload.owner_person, "owner_person"),
        owner_teams=_teams(member, payload.owner_teams, "owner_teams"),
        visibility=payload.visibility,
        shared_with=_members(member, payload.shared_with, "shared_with"),
    )
    return Status(201, _objective_out(member, objective))


@router.get("/objectives/{objective_id}", response={200: ObjectiveOut}, summary="One objective")
def get_objective(request: HttpRequest, objective_id: uuid.UUID) -> dict[str, Any]:
    member = member_of(request)
    return _objectives_out(member, [objective_for(member, objective_id)])[0]


@router.patch(
    "/objectives/{objective_id}",
    response={200: ObjectiveOut, **CONFLICT},
    summary="Change an objective",
)
def update_objective(
    request: HttpRequest, objective_id: uuid.UUID, payload: ObjectivePatch
) -> dict[str, Any]:
    member = member_of(request)
    objective = objective_for(member, objective_id, write=True)
    sent = payload.model_fields_set - {"updated_at"}
    fields: dict[str, Any] = {
        name: getattr(payload, name)
        for name in ("title", "description", "visibility")
        if name in sent
    }
    if "period" in sent:
        fields["period"] = _choice("period", period_for, member, payload.period)
    if "owner_person" in sent:
        fields["owner_person"] = _optional_person(member, payload.owner_person, "owner_person")
    if "owner_teams" in sent:
        fields["owner_teams"] = _teams(member, payload.owner_teams, "owner_teams")
    if "shared_with" in sent:
        fields["shared_with"] = _members(member, payload.shared_with, "shared_with")
    with _fresh(Objective, objective.pk, payload.updated_at):
        if fields:
            services.update_objective(objective=objective, actor=member, **fields)
    return _objective_out(member, objective)


@router.delete(
    "/objectives/{objective_id}",
    response={204: None},
    summary="Delete an objective with its key results and initiatives",
)
def delete_objective(request: HttpRequest, objective_id: uuid.UUID) -> Status[None]:
    member = member_of(request)
    objective = objective_for(member, objective_id, write=True)
    services.delete_objective(objective=objective, actor=member)
    return Status(204, None)


@router.post(
    "/objectives/{objective_id}/alignments",
    response={201: AlignedParent},
    summary="Align an objective to a parent objective or key result",
)
def align_objective(
    request: HttpRequest, objective_id: uuid.UUID, payload: AlignmentIn
) -> Status[dict[str, Any]]:
    member = member_of(request)
    child = objective_for(member, objective_id, write=True)
    # Only parents the caller may see, as the form offers them.
    parent_objective = (
        _choice("parent_objective", objective_for, member, payload.parent_objective)
        if payload.parent_objective is not None
        else None
    )
    parent_key_result = (
        _choice("parent_key_result", key_result_for, member, payload.parent_key_result)
        if payload.parent_key_result is not None
        else None
    )
    field = "parent_key_result" if parent_key_result is not None else "parent_objective"
    with _fields_named(parent=field):
        link = services.align(
            actor=member,
            child=child,
            parent_objective=parent_objective,
            parent_key_result=parent_key_result,
        )
    if parent_key_result is not None:
        entry = {
            "kind": "key_result",
            "redacted": False,
            "id": str(parent_key_result.uid),
            "title": parent_key_result.title,
            "objective": {
                "id": str(parent_key_result.objective.uid),
                "title": parent_key_result.objective.title,
            },
            "link_id": str(link.uid),
        }
    else:
        assert parent_objective is not None
        entry = {
            "kind": "objective",
            "redacted": False,
            "id": str(parent_objective.uid),
            "title": parent_objective.title,
            "link_id": str(link.uid),
        }
    return Status(201, entry)


@router.delete("/alignments/{link_id}", response={204: None}, summary="Remove an alignment")
def delete_alignment(request: HttpRequest, link_id: uuid.UUID) -> Status[None]:
    member = member_of(request)
    link = (
        Alignment.objects.in_org(member.organization)
        .filter(uid=link_id)
        .select_related("child", "parent_key_result")
        .first()
    )
    if link is None:
        raise Http404
    # The link is as visible as both its ends (its id is only ever shown with a parent
    # objective the caller may see); whoever may change the child may remove it.
    parent_id = link.parent_objective_id_effective()
    if not Objective.objects.visible_to(member).filter(pk=parent_id).exists():
        raise Http404
    objective_for(member, link.child.uid, write=True)
    services.unalign(actor=member, link=link)
    return Status(204, None)


# Key results --------------------------------------------------------------------------------


def _staleness_q(state: rhythm.Staleness, organization: Organization, today: dt.date) -> Q:
    """`rhythm.staleness` as a filter over the roll-up columns, so that a page of stale key
    results is one query whatever the organization's size. Each day comparison becomes a
    comparison with the first moment of a day on the organization's calendar; the test suite
    checks it against `staleness_for` case by case."""
    length = rhythm.cadence_days(organization.checkin_cadence)
    gap = rhythm.LONGEST_GAP_DAYS[organization.checkin_cadence] + rhythm.GRACE_DAYS

    def seen_before(day: dt.date) -> Q:
        # The last check-in (or creation, without one) fell before `day`.
        moment = _start_of(day, organization)
        return Q(last_check_in_at__lt=moment) | Q(
            last_check_in_at__isnull=True, created_at__lt=moment
        )

    days = dt.timedelta
    dead = Q(next_up_due__isnull=True) & seen_before(today - days(2 * length - 1)) | Q(
        next_up_due__lte=today - days(2 * length)
    )
    stale = seen_before(today - days(gap))
    still = Q(next_up_due__isnull=True) | Q(next_up_due__lt=today)
    window_start, _end = rhythm.window(
        cadence=organization.checkin_cadence, week_start=organization.week_start, today=today
    )
    fresh = Q(last_check_in_at__gte=_start_of(window_start, organization))
    if state == rhythm.Staleness.DEAD:
        return dead
    if state == rhythm.Staleness.STALE:
        return stale & ~dead
    if state == rhythm.Staleness.STILL:
        return still & ~dead & ~stale
    if state == rhythm.Staleness.FRESH:
        return fresh & ~still & ~stale & ~dead
    return ~fresh & ~still & ~stale & ~dead


def _band_q(band: rhythm.Band) -> Q:
    return Q(confidence__in=[level for level in range(11) if rhythm.band(level) == band])


def _key_results_qs(member: Member, *, gated: bool = True) -> QuerySet[KeyResult]:
    # The current Next Up's plan, read in the same query: the roll-up `next_up_due` says
    # whether there is one, the latest live check-in with a plan says what it is.
    plan = (
        CheckIn.objects.live()
        .filter(key_result=OuterRef("pk"))
        .exclude(next_up_plan="")
        .order_by("-at", "-id")
        .values("next_up_plan")[:1]
    )
    base = (
        KeyResult.objects.visible_to(member)
        if gated
        else KeyResult.objects.in_org(member.organization)
    )
    return base.select_related("objective", "owner__user").annotate(next_up_plan_now=Subquery(plan))


def _key_results_out(member: Member, key_results: list[KeyResult]) -> list[dict[str, Any]]:
    """The representation of `key_results` (read with `_key_results_qs`), in at most four
    queries whatever their number."""
    prefetch_related_objects(
        key_results,
        Prefetch("shared_with", queryset=Member.objects.select_related("user")),
        "objective__team_links",
    )
    continued_from, continued_into = _continuity(member, key_results)
    organization = member.organization
    today = organization.today()
    out = []
    for kr in key_results:
        plan = getattr(kr, "next_up_plan_now", None)
        out.append(
            {
                "id": str(kr.uid),
                "objective": {"id": str(kr.objective.uid), "title": kr.objective.title},
                "title": kr.title,
                "description": kr.description,
                "kind": kr.kind,
                "start": float(kr.start_value),
                "target": float(kr.target_value),
                "unit": kr.unit,
                "direction": kr.direction,
                "weight": float(kr.weight),
                "owner": _person(kr.owner),
                "visibility": kr.visibility,
                "shared_with": [_person(m) for m in kr.shared_with.all()],
                "current_value": float(kr.current_value),
                "progress": kr.progress,
                "confidence": kr.confidence,
                "confidence_band": rhythm.band(kr.confidence)
                if kr.confidence is not None
                else None,
                "next_up": {"plan": plan, "due": kr.next_up_due}
                if kr.next_up_due is not None and plan
                else None,
                "staleness": queries.staleness_for(kr, organization, today),
                "open_blockers": kr.open_blockers,
                "last_check_in_at": kr.last_check_in_at,
                "score": _score(kr),
                "scored_at": kr.scored_at,
                "context": {
                    "why": kr.context_why,
                    "baseline": kr.context_baseline,
                    "tactic": kr.context_tactic,
                    "outdated": kr.context_outdated,
                },
                "closed": kr.objective.is_closed,
                "continued_from": continued_from.get(kr.pk),
                "continued_into": continued_into.get(kr.pk, []),
                "can_edit": can_edit_key_result(member, kr),
                "created_at": kr.created_at,
                "updated_at": kr.updated_at,
            }
        )
    return out


def _key_result_out(member: Member, key_result: KeyResult) -> dict[str, Any]:
    # Re-read after a write, in the organization (see `_objective_out`).
    fresh = _key_results_qs(member, gated=False).get(pk=key_result.pk)
    return _key_results_out(member, [fresh])[0]


@router.get(
    "/key-results",
    response={200: Page[KeyResultOut]},
    summary="List the key results you may see",
)
def list_key_results(
    request: HttpRequest, page: Query[PageParams], filters: Query[KeyResultFilters]
) -> dict[str, Any]:
    member = member_of(request)
    q, since = _list_filters(
        member,
        filters,
        period="objective__period",
        team="objective__team_links__team",
        owner="owner",
    )
    if filters.objective is not None:
        q &= Q(objective=_choice("objective", objective_for, member, filters.objective))
    organization = member.organization
    if filters.staleness is not None:
        q &= _staleness_q(filters.staleness, organization, organization.today())
    if filters.confidence is not None:
        q &= _band_q(filters.confidence)
    if since is not None:
        q &= Q(updated_at__gte=since) | Q(last_check_in_at__gte=since)
    qs = _ordered(KeyResult.objects.visible_to(member).filter(q), since)
    # The keys of the page through the gate, then their rows (joins, the Next Up's plan)
    # by key: sorting tens of thousands of whole rows to keep fifty cost more than the rest.
    result = paginate_keys(
        qs, page, lambda keys: _key_results_qs(member, gated=False).filter(pk__in=keys)
    )
    result["items"] = _key_results_out(member, result["items"])
    return result


def _key_result_values(payload: KeyResultIn | KeyResultPatch, sent: set[str]) -> dict[str, Any]:
    """The payload's plain fields under the services' names."""
    names = {"start": "start_value", "target": "target_value"}
    plain = ("title", "kind", "start", "target", "unit", "direction", "weight", "description")
    return {
        names.get(name, name): getattr(payload, name)
        for name in (*plain, "visibility")
        if name in sent
    }


@router.post("/key-results", response={201: KeyResultOut}, summary="Add a key result")
def create_key_result(request: HttpRequest, payload: KeyResultIn) -> Status[dict[str, Any]]:
    member = member_of(request)
    objective = objective_for(member, payload.objective, write=True)
    if payload.kind != KeyResultKind.MILESTONE:
        # As the web form: a metric or percentage states where it starts and where it goes.
        for name in ("start", "target"):
            if getattr(payload, name) is None:
                raise ValidationError({name: _("This field is required.")})
    values = _key_result_values(payload, set(KeyResultIn.model_fields) - {"start", "target"})
    if payload.kind != KeyResultKind.MILESTONE:
        values.update(start_value=payload.start, target_value=payload.target)
    context = payload.context
    with _fields_named(start_value="start", target_value="target"):
        key_result = services.create_key_result(
            actor=member,
            objective=objective,
            owner=_optional_person(member, payload.owner, "owner"),
            shared_with=_members(member, payload.shared_with, "shared_with"),
            context_why=context.why if context else "",
            context_baseline=context.baseline if context else "",
            context_tactic=context.tactic if context else "",
            **values,
        )
    return Status(201, _key_result_out(member, key_result))


@router.get("/key-results/{key_result_id}", response={200: KeyResultOut}, summary="One key result")
def get_key_result(request: HttpRequest, key_result_id: uuid.UUID) -> dict[str, Any]:
    member = member_of(request)
    # The gate and the representation's columns in one read (as `key_result_for`: another
    # organization's key result, or one the caller may not see, is a 404).
    key_result = _key_results_qs(member).filter(uid=key_result_id).first()
    if key_result is None:
        raise Http404
    return _key_results_out(member, [key_result])[0]


@router.patch(
    "/key-results/{key_result_id}",
    response={200: KeyResultOut, **CONFLICT},
    summary="Change a key result",
)
def update_key_result(
    request: HttpRequest, key_result_id: uuid.UUID, payload: KeyResultPatch
) -> dict[str, Any]:
    member = member_of(request)
    key_result = key_result_for(member, key_result_id, write=True)
    sent = payload.model_fields_set - {"updated_at"}
    fields = _key_result_values(payload, sent)
    if "owner" in sent:
        fields["owner"] = _optional_person(member, payload.owner, "owner")
    if "shared_with" in sent:
        fields["shared_with"] = _members(member, payload.shared_with, "shared_with")
    with _fresh(KeyResult, key_result.pk, payload.updated_at):
        if fields:
            with _fields_named(start_value="start", target_value="target"):
                services.update_key_result(key_result=key_result, actor=member, **fields)
    return _key_result_out(member, key_result)


@router.delete(
    "/key-results/{key_result_id}",
    response={204: None},
    summary="Delete a key result with its initiatives",
)
def delete_key_result(request: HttpRequest, key_result_id: uuid.UUID) -> Status[None]:
    member = member_of(request)
    key_result = key_result_for(member, key_result_id, write=True)
    services.delete_key_result(key_result=key_result, actor=member)
    return Status(204, None)


# Initiatives --------------------------------------------------------------------------------


def _initiatives_qs(member: Member) -> QuerySet[Initiative]:
    return Initiative.objects.visible_to(member).select_related(
        "objective", "key_result", "team", "owner__user", "period"
    )


def _initiatives_out(member: Member, initiatives: list[Initiative]) -> list[dict[str, Any]]:
    prefetch_related_objects(initiatives, "objective__team_links")
    out = []
    for item in initiatives:
        kr = item.key_result
        out.append(
            {
                "id": str(item.uid),
                "title": item.title,
                "description": item.description,
                "objective": {"id": str(item.objective.uid), "title": item.objective.title},
                "key_result": {"id": str(kr.uid), "title": kr.title} if kr else None,
                "team": {"id": str(item.team.uid), "name": item.team.name},
                "owner": _person(item.owner),
                "state": item.state,
                "due": item.due,
                "period": {"id": str(item.period.uid), "name": item.period.name},
                "can_edit": can_edit_initiative(member, item),
                "created_at": item.created_at,
                "updated_at": item.updated_at,
            }
        )
    return out


def _initiative_out(member: Member, initiative: Initiative) -> dict[str, Any]:
    # Re-read after a write: an initiative is as visible as what it moves, which the writer
    # may see (they looked it up through the gate).
    return _initiatives_out(member, [_initiatives_qs(member).get(pk=initiative.pk)])[0]


def _initiative_team(
    member: Member, objective: Objective, uid: uuid.UUID, current: Team | None = None
) -> Team:
    """The web form's team choice: those who may change the objective pick any team, others
    add work for their own teams (and keep the current one)."""
    free = member.is_admin or can_edit_objective(member, objective)
    mine = team_ids_of(member)
    if not free and not mine and current is None:
        raise PermissionDenied(_("You are in no team that could take on this work."))
    team = _choice("team", team_for, member, uid)
    if free or team.pk in mine or (current is not None and team.pk == current.pk):
        return team
    raise ValidationError({"team": _("Choose one of your teams.")})


def _initiative_key_result(member: Member, uid: uuid.UUID | None) -> KeyResult | None:
    """A visible key result of the objective (the service checks that it is this one's)."""
    return None if uid is None else _choice("key_result", key_result_for, member, uid)


@router.get(
    "/initiatives",
    response={200: Page[InitiativeOut]},
    summary="List the initiatives you may see",
)
def list_initiatives(
    request: HttpRequest, page: Query[PageParams], filters: Query[InitiativeFilters]
) -> dict[str, Any]:
    member = member_of(request)
    q, since = _list_filters(member, filters, period="period", team="team", owner="owner")
    if filters.objective is not None:
        q &= Q(objective=_choice("objective", objective_for, member, filters.objective))
    if filters.state is not None:
        q &= Q(state=filters.state)
    if since is not None:
        q &= Q(updated_at__gte=since)
    result = paginate(_ordered(_initiatives_qs(member).filter(q), since), page)
    result["items"] = _initiatives_out(member, result["items"])
    return result


@router.post("/initiatives", response={201: InitiativeOut}, summary="Add an initiative")
def create_initiative(request: HttpRequest, payload: InitiativeIn) -> Status[dict[str, Any]]:
    member = member_of(request)
    objective = objective_for(member, payload.objective)
    require_writer(member)
    initiative = services.create_initiative(
        actor=member,
        objective=objective,
        team=_initiative_team(member, objective, payload.team),
        title=payload.title,
        key_result=_initiative_key_result(member, payload.key_result),
        owner=_optional_person(member, payload.owner, "owner"),
        description=payload.description,
        state=payload.state,
        due=payload.due,
    )
    return Status(201, _initiative_out(member, initiative))


@router.get("/initiatives/{initiative_id}", response={200: InitiativeOut}, summary="One initiative")
def get_initiative(request: HttpRequest, initiative_id: uuid.UUID) -> dict[str, Any]:
    member = member_of(request)
    return _initiatives_out(member, [initiative_for(member, initiative_id)])[0]


@router.patch(
    "/initiatives/{initiative_id}",
    response={200: InitiativeOut, **CONFLICT},
    summary="Change an initiative",
)
def update_initiative(
    request: HttpRequest, initiative_id: uuid.UUID, payload: InitiativePatch
) -> dict[str, Any]:
    member = member_of(request)
    initiative = initiative_for(member, initiative_id, write=True)
    sent = payload.model_fields_set - {"updated_at"}
    fields: dict[str, Any] = {
        name: getattr(payload, name)
        for name in ("title", "description", "state", "due")
        if name in sent
    }
    if "team" in sent:
        fields["team"] = _initiative_team(
            member, initiative.objective, payload.team, current=initiative.team
        )
    if "key_result" in sent:
        fields["key_result"] = _initiative_key_result(member, payload.key_result)
    if "owner" in sent:
        fields["owner"] = _optional_person(member, payload.owner, "owner")
    with _fresh(Initiative, initiative.pk, payload.updated_at):
        if fields:
            services.update_initiative(initiative=initiative, actor=member, **fields)
    return _initiative_out(member, initiative)


@router.delete(
    "/initiatives/{initiative_id}",
    response={204: None},
    summary="Delete an initiative",
)
def delete_initiative(request: HttpRequest, initiative_id: uuid.UUID) -> Status[None]:
    member = member_of(request)
    initiative = initiative_for(member, initiative_id, write=True)
    services.delete_initiative(initiative=initiative, actor=member)
    return Status(204, None)


@router.post(
    "/initiatives/{initiative_id}/defer",
    response={200: InitiativeOut},
    summary="Defer an initiative to the next period",
    description="Moves it to the period after its own, marked deferred; its objective stays. "
    "A 422 when that period does not exist yet or the initiative is done.",
)
def defer_initiative(
    request: HttpRequest, initiative_id: uuid.UUID, payload: DeferIn | None = None
) -> dict[str, Any]:
    member = member_of(request)
    initiative = initiative_for(member, initiative_id, write=True)
    note = payload.note if payload is not None else ""
    services.defer_initiative(initiative=initiative, actor=member, note=note)
    return _initiative_out(member, initiative)
