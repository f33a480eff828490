"""API v1: check-ins, blockers and the inbox — the same gate and services as the web pages.

Every lookup goes through the gate (`key_result_for`, `CheckIn.objects.visible_to`, the
queries of `cairn.checkins.queries`), then the same checks the views make before a write
(`require_writer`, `can_correct`, `require_admin`), then the service. Private key results'
check-ins and blockers are a 404 for whoever may not see them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from cairn.alignment.models import Dependency
from cairn.api.auth import member_of
from cairn.api.common import Page, check_fresh, paginate
from cairn.api.errors import Conflict, Error
from cairn.api.schemas_checkins import (
    CREATE_EXAMPLE,
    RESULT_EXAMPLE,
    BlockerFilters,
    BlockerOut,
    CheckInFilters,
    CheckInIn,
    CheckInOut,
    CorrectionIn,
    InboxOut,
    ResolveIn,
)
from cairn.checkins import queries, services
from cairn.checkins.models import CheckIn
from cairn.checkins.queries import BlockerRow, InboxRow, MissingResult, NextSync
from cairn.lib import rhythm
from cairn.lib.numbers import tidy
from cairn.okrs.closing import PeriodClosed
from cairn.okrs.models import KeyResult, ObjectiveTeam
from cairn.okrs.queries import Signals
from cairn.orgs.access import key_result_for, period_for, require_admin, require_writer, team_for
from cairn.orgs.models import Member

router = Router(tags=["checkins"])

# The services name a section's fields flat (`progress_value`); the API names them as they
# are written (`progress.value`).
FIELD_NAMES = {
    "progress_value": "progress.value",
    "progress_comment": "progress.comment",
    "confidence": "confidence.level",
    "confidence_needs": "confidence.needs",
    "confidence_mitigation": "confidence.mitigation",
    "next_up_plan": "next_up.plan",
    "next_up_due": "next_up.due",
    "reflection_outcome": "reflection.outcome",
    "reflection_learned": "reflection.learned",
    "context_why": "context.why",
    "context_baseline": "context.baseline",
    "context_tactic": "context.tactic",
    "result_value": "result.value",
    "result_score": "result.score",
    "result_override_reason": "result.override_reason",
    "result_worked": "result.worked",
    "result_did_not_work": "result.did_not_work",
    "result_learned": "result.learned",
}

# 400, 401, 403, 404, 422 and 429 in the one error shape are documented for every operation
# by `errors.document_errors`; only what differs is declared here.


class CheckInInvalid(Error):
    """The one error shape, with every invalid field of the check-in at once (`field` and
    `detail` are the first of them)."""

    errors: dict[str, list[str]] | None = None


# Helpers ------------------------------------------------------------------------------------


def _uid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


def _number(value: Decimal) -> int | float:
    number = tidy(value)
    return int(number) if number == number.to_integral_value() else float(number)


def _person(member: Member | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": str(member.uid), "name": member.name, "email": member.user.email}


def _ref(obj: Any, name: str) -> dict[str, str]:
    return {"id": str(obj.uid), "name": name}


def _updated_at(check_in: CheckIn) -> dt.datetime:
    moments = [check_in.at, check_in.edited_at, check_in.deleted_at, check_in.blocker_resolved_at]
    return max(moment for moment in moments if moment is not None)


def _invalid(exc: ValidationError) -> Status[dict[str, Any]]:
    """A service's errors, keyed as the API writes the fields, in the one error shape."""
    if isinstance(exc, PeriodClosed):
        # Not bad input: the period is read-only (409 `period_closed`, `api.errors`).
        raise exc
    if not hasattr(exc, "error_dict"):
        return Status(422, {"detail": " ".join(exc.messages), "code": "invalid", "field": None})
    errors: dict[str, list[str]] = {}
    for name, messages in exc.message_dict.items():
        key = "" if name == "__all__" else FIELD_NAMES.get(name, name)
        errors.setdefault(key, []).extend(messages)
    field, messages = next(iter(errors.items()))
    return Status(
        422,
        {"detail": " ".join(messages), "code": "invalid", "field": field or None, "errors": errors},
    )


def check_in_out(check_in: CheckIn) -> dict[str, Any]:
    """The check-in in the shape it is written in. Needs `key_result`, `author__user`,
    `deleted_by__user`, `blocker_resolved_by__user` and `reflects_on` loaded (see
    `_with_relations`)."""
    key_result = check_in.key_result
    out: dict[str, Any] = {
        "id": str(check_in.uid),
        "key_result": _ref(key_result, key_result.title),
        "author": _person(check_in.author),
        "at": check_in.at,
        "insight": False,
        "blocker": False,
        "edited_at": check_in.edited_at,
        "deleted": check_in.is_deleted,
        "deleted_at": check_in.deleted_at,
        "deleted_by": _person(check_in.deleted_by) if check_in.is_deleted else None,
        "updated_at": _updated_at(check_in),
    }
    if check_in.is_deleted:
        # A tombstone keeps no words, and shows no sections or flags (as on the page).
        return out
    out["insight"] = check_in.is_insight
    out["blocker"] = check_in.is_blocker
    if check_in.has_progress:
        assert check_in.progress_value is not None
        out["progress"] = {
            "value": _number(check_in.progress_value),
            "comment": check_in.progress_comment,
        }
    if check_in.confidence is not None:
        out["confidence"] = {
            "level": check_in.confidence,
            "band": rhythm.band(check_in.confidence).value,
            "needs": check_in.confidence_needs,
            "mitigation": check_in.confidence_mitigation,
        }
    if check_in.has_next_up:
        out["next_up"] = {"plan": check_in.next_up_plan, "due": check_in.next_up_due}
    if check_in.has_reflection:
        reflects_on = check_in.reflects_on
        out["reflection"] = {
            "outcome": check_in.reflection_outcome,
            "learned": check_in.reflection_learned,
            "reflects_on": str(reflects_on.uid) if reflects_on is not None else None,
        }
    if check_in.has_context:
        out["context"] = {
            "why": check_in.context_why,
            "baseline": check_in.context_baseline,
            "tactic": check_in.context_tactic,
        }
    if check_in.has_result:
        assert check_in.result_value is not None and check_in.result_score is not None
        out["result"] = {
            "value": _number(check_in.result_value),
            "score": float(check_in.result_score),
            "score_overridden": check_in.result_score_overridden,
            "override_reason": check_in.result_override_reason,
            "worked": check_in.result_worked,
            "did_not_work": check_in.result_did_not_work,
            "learned": check_in.result_learned,
        }
    if check_in.is_blocker and check_in.blocker_resolved_at is not None:
        out["resolution"] = {
            "at": check_in.blocker_resolved_at,
            "by": _person(check_in.blocker_resolved_by),
            "how": check_in.blocker_resolution,
        }
    return out


CHECK_IN_RELATIONS = (
    "key_result",
    "author__user",
    "deleted_by__user",
    "blocker_resolved_by__user",
    "reflects_on",
)


def _with_relations(qs: QuerySet[CheckIn]) -> QuerySet[CheckIn]:
    return qs.select_related(*CHECK_IN_RELATIONS)


def _check_in_for(member: Member, uid: str) -> CheckIn:
    """A check-in through the gate: another organization's, or one on a key result the
    member may not see, is a 404."""
    check_in = _with_relations(CheckIn.objects.visible_to(member)).filter(uid=_uid(uid)).first()
    if check_in is None:
        raise Http404
    return check_in


# Blockers: the check-in, where it is, and who to ask ----------------------------------------


def _team_links() -> Prefetch:
    links = ObjectiveTeam.objects.select_related("team").order_by("team__name", "id")
    return Prefetch("key_result__objective__team_links", queryset=links)


def _blocker_queryset(qs: QuerySet[CheckIn]) -> QuerySet[CheckIn]:
    return qs.select_related(
        *CHECK_IN_RELATIONS, "key_result__objective__period", "key_result__owner__user"
    ).prefetch_related(_team_links())


def _load_for_blockers(check_ins: Iterable[CheckIn]) -> None:
    """What a blocker's representation reads, for check-ins loaded elsewhere (the inbox):
    a fixed number of queries, whatever their number; relations already loaded stay."""
    prefetch_related_objects(
        list(check_ins),
        "key_result__objective__period",
        "key_result__owner__user",
        "author__user",
        "blocker_resolved_by__user",
        "reflects_on",
        _team_links(),
    )


def blocker_out(member: Member, check_in: CheckIn) -> dict[str, Any]:
    kr = check_in.key_result
    objective = kr.objective
    teams = [link.team for link in objective.team_links.all()]
    row = BlockerRow(check_in=check_in, owning_teams=teams)
    out = check_in_out(check_in)
    return {
        "id": str(check_in.uid),
        "at": check_in.at,
        "author": out["author"],
        "key_result": out["key_result"],
        "objective": _ref(objective, objective.title),
        "period": _ref(objective.period, objective.period.name),
        "owning_teams": [_ref(team, team.name) for team in teams],
        "resolvers": row.resolvers,
        "open": check_in.is_open_blocker,
        "resolution": out.get("resolution"),
        "can_resolve": queries.can_resolve(member, check_in),
        "check_in": out,
    }


def _blocker_for(member: Member, uid: str) -> CheckIn:
    """A blocker through the gate, as on the blockers board: a live, visible check-in flagged
    as a blocker, or a 404."""
    check_in = (
        _blocker_queryset(CheckIn.objects.visible_to(member).live())
        .filter(uid=_uid(uid), is_blocker=True)
        .first()
    )
    if check_in is None:
        raise Http404
    return check_in


# Check-ins ----------------------------------------------------------------------------------


@router.get(
    "/key-results/{key_result_id}/check-ins",
    response=Page[CheckInOut],
    summary="A key result's check-ins",
    description=(
        "Newest first (then by id, a stable order). Deleted check-ins appear as tombstones: "
        "`deleted` is true and they carry no sections or text. With `updated_since`, only "
        "those written, corrected, resolved or deleted since then."
    ),
)
def list_check_ins(
    request: HttpRequest, key_result_id: str, filters: Query[CheckInFilters]
) -> dict[str, Any]:
    member = member_of(request)
    kr = key_result_for(member, key_result_id)
    qs = (
        CheckIn.objects.visible_to(member)
        .filter(key_result=kr)
        .select_related(*(name for name in CHECK_IN_RELATIONS if name != "key_result"))
        .order_by("-at", "-id")
    )
    if filters.updated_since is not None:
        since = filters.updated_since
        if timezone.is_naive(since):
            since = since.replace(tzinfo=dt.UTC)
        try:
            since = since.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValidationError({"updated_since": _("Enter a valid date and time.")}) from exc
        qs = qs.filter(
            Q(at__gte=since)
            | Q(edited_at__gte=since)
            | Q(deleted_at__gte=since)
            | Q(blocker_resolved_at__gte=since)
        )
    page = paginate(qs, filters)
    for check_in in page["items"]:
        check_in.key_result = kr
    page["items"] = [check_in_out(check_in) for check_in in page["items"]]
    return page


@router.post(
    "/key-results/{key_result_id}/check-ins",
    response={201: CheckInOut, 422: CheckInInvalid},
    summary="Check in on a key result",
    description=(
        "Any subset of the sections, at least one: progress, confidence, next_up, reflection "
        "(on the current Next Up), context, result; and the insight and blocker flags. Any "
        "writer who can see the key result may check in on it (a viewer gets a 403). The "
        "result (final value, score, retrospective) opens two weeks before the period's end "
        "and stays open until the objective is closed (then every write is a 409 "
        "`period_closed`); its score is computed from the final value unless the key "
        "result's owner overrides it with a reason. Invalid sections are all reported at once "
        "in `errors`, keyed by field (`progress.value`, `result.override_reason`)."
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "every section": {"value": CREATE_EXAMPLE},
                        "progress only": {"value": {"progress": {"value": 34}}},
                        "a result, with the score overridden": {"value": RESULT_EXAMPLE},
                        "a result, with the computed score": {
                            "value": {
                                "result": {
                                    "value": 182,
                                    "worked": "Weekly demos with the sales team.",
                                }
                            }
                        },
                        "a blocker": {
                            "value": {
                                "confidence": {"level": 3, "needs": "Access to the data"},
                                "blocker": True,
                            }
                        },
                    }
                }
            }
        }
    },
)
def create_check_in(
    request: HttpRequest, key_result_id: str, payload: CheckInIn
) -> Status[dict[str, Any]]:
    member = member_of(request)
    kr = key_result_for(member, key_result_id)
    # OKRs are transparent and a check-in is a contribution, not an edit: any writer who can
    # see the key result may check in on it (as in the web UI).
    require_writer(member)
    sections: dict[str, Any] = {}
    if payload.progress is not None:
        sections["progress"] = services.Progress(
            value=payload.progress.value, comment=payload.progress.comment
        )
    if payload.confidence is not None:
        sections["confidence"] = services.Confidence(
            level=payload.confidence.level,
            needs=payload.confidence.needs,
            mitigation=payload.confidence.mitigation,
        )
    if payload.next_up is not None:
        sections["next_up"] = services.NextUp(plan=payload.next_up.plan, due=payload.next_up.due)
    if payload.reflection is not None:
        sections["reflection"] = services.Reflection(
            outcome=payload.reflection.outcome, learned=payload.reflection.learned
        )
    if payload.context is not None:
        sections["context"] = services.Context(
            why=payload.context.why,
            baseline=payload.context.baseline,
            tactic=payload.context.tactic,
        )
    if payload.result is not None:
        sections["result"] = services.Result(
            value=payload.result.value,
            score=payload.result.score,
            override_reason=payload.result.override_reason,
            worked=payload.result.worked,
            did_not_work=payload.result.did_not_work,
            learned=payload.result.learned,
        )
    try:
        check_in = services.record_check_in(
            key_result=kr,
            author=member,
            insight=payload.insight,
            blocker=payload.blocker,
            **sections,
        )
    except ValidationError as exc:
        return _invalid(exc)
    # Everything its representation reads is in hand (the key result read through the gate,
    # the author, the Next Up reflected on): no second read through the gate.
    return Status(201, check_in_out(check_in))


@router.get(
    "/check-ins/{check_in_id}",
    response=CheckInOut,
    summary="One check-in",
)
def get_check_in(request: HttpRequest, check_in_id: str) -> dict[str, Any]:
    return check_in_out(_check_in_for(member_of(request), check_in_id))


@router.patch(
    "/check-ins/{check_in_id}",
    response={200: CheckInOut, 409: Error, 422: CheckInInvalid},
    summary="Correct the words of your own check-in",
    description=(
        "Its author may correct the text of a check-in within 30 minutes of writing it; the "
        "earlier text is kept. Values are not correctable: record a new check-in instead."
    ),
)
def correct_check_in(
    request: HttpRequest, check_in_id: str, payload: CorrectionIn
) -> Status[dict[str, Any]]:
    member = member_of(request)
    check_in = _check_in_for(member, check_in_id)
    require_writer(member)
    if not services.can_correct(check_in, member):
        raise PermissionDenied(
            _("Only the author can correct a check-in, within %(minutes)d minutes.")
            % {"minutes": int(services.CORRECTION_WINDOW.total_seconds() // 60)}
        )
    check_fresh(_updated_at(check_in), payload.updated_at)
    changes: dict[str, str] = {}
    for section in ("progress", "confidence", "next_up", "reflection", "context", "result"):
        given = getattr(payload, section)
        if given is None:
            continue
        for name, text in given.model_dump(exclude_unset=True).items():
            if text is not None:
                changes[f"{section}_{name}"] = text
    try:
        services.correct_check_in(check_in=check_in, editor=member, **changes)
    except ValidationError as exc:
        return _invalid(exc)
    return Status(200, check_in_out(_check_in_for(member, check_in_id)))


@router.delete(
    "/check-ins/{check_in_id}",
    response=CheckInOut,
    summary="Delete a check-in (admins)",
    description=(
        "Leaves a tombstone in its place (who deleted it, when) and recomputes the key "
        "result's value, confidence and Next Up without it. The reason goes into the history."
    ),
)
def delete_check_in(request: HttpRequest, check_in_id: str, reason: str) -> dict[str, Any]:
    member = member_of(request)
    check_in = _check_in_for(member, check_in_id)
    require_admin(member)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it is deleted.")})
    services.delete_check_in(check_in=check_in, actor=member, reason=reason)
    return check_in_out(_check_in_for(member, check_in_id))


# Blockers -----------------------------------------------------------------------------------

BLOCKER_STATES = ("open", "resolved", "all")


@router.get(
    "/blockers",
    response=Page[BlockerOut],
    summary="Blockers",
    description=(
        "The blockers the caller may see, as on the blockers board: open ones by default, "
        "oldest first (the longest in the way on top). Filter by a team (its key results, "
        "its sub-teams' and its people's) and a period."
    ),
)
def list_blockers(request: HttpRequest, filters: Query[BlockerFilters]) -> dict[str, Any]:
    member = member_of(request)
    if filters.state not in BLOCKER_STATES:
        raise ValidationError({"state": _("Choose open, resolved or all.")})
    team = team_for(member, filters.team) if filters.team else None
    qs = queries.blockers_in_view(member, team)
    if filters.period:
        qs = qs.filter(key_result__objective__period=period_for(member, filters.period))
    if filters.state == "open":
        qs = qs.filter(blocker_resolved_at__isnull=True).order_by("at", "id")
    elif filters.state == "resolved":
        qs = qs.filter(blocker_resolved_at__isnull=False).order_by("-blocker_resolved_at", "-id")
    else:
        qs = qs.order_by("at", "id")
    page = paginate(_blocker_queryset(qs), filters)
    page["items"] = [blocker_out(member, check_in) for check_in in page["items"]]
    return page


@router.post(
    "/blockers/{check_in_id}/resolve",
    response={200: BlockerOut, 409: Error},
    summary="Resolve a blocker",
    description=(
        "Any writer who can see a blocker may resolve it, saying how (as on the blockers "
        "board): blockers are often cleared by someone outside the owning team. A blocker "
        "that is no longer open is a 409."
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {"resolved": {"value": {"how": "Platform raised the quota."}}}
                }
            }
        }
    },
)
def resolve_blocker(request: HttpRequest, check_in_id: str, payload: ResolveIn) -> dict[str, Any]:
    member = member_of(request)
    blocker = _blocker_for(member, check_in_id)
    require_writer(member)
    if not blocker.is_open_blocker:
        # Someone resolved it since the caller read it: a lost race, not bad input.
        raise Conflict(_("This blocker is not open."))
    services.resolve_blocker(check_in=blocker, actor=member, how=payload.how)
    return blocker_out(member, _blocker_for(member, check_in_id))


# The inbox ----------------------------------------------------------------------------------


def _inbox_key_result(kr: KeyResult, signals: Signals) -> dict[str, Any]:
    objective = kr.objective
    return {
        "id": str(kr.uid),
        "title": kr.title,
        "objective": _ref(objective, objective.title),
        "period": _ref(objective.period, objective.period.name),
        "owner": _person(kr.owner),
        "visibility": kr.visibility,
        "current_value": _number(kr.current_value),
        "progress": kr.progress,
        "confidence": kr.confidence,
        "next_up_due": kr.next_up_due,
        "last_check_in_at": kr.last_check_in_at,
        "staleness": signals.staleness.value,
        "open_blockers": kr.open_blockers,
    }


def _inbox_row(row: InboxRow) -> dict[str, Any]:
    return {
        "key_result": _inbox_key_result(row.key_result, row.signals),
        "due": row.due,
        "without_next_up": row.without_next_up,
        "next_up_overdue": row.next_up_overdue,
        "needs_attention": row.needs_attention,
    }


def _missing_result(item: MissingResult) -> dict[str, Any]:
    return {
        "key_result": _inbox_key_result(item.key_result, item.signals),
        "period_end": item.period_end,
        "period_ended": item.period_ended,
    }


def _request(dependency: Dependency) -> dict[str, Any]:
    kr = dependency.key_result
    return {
        "id": str(dependency.uid),
        "need": dependency.need,
        "state": dependency.state,
        "requesting_team": _ref(dependency.requesting_team, dependency.requesting_team.name),
        "providing_team": _ref(dependency.providing_team, dependency.providing_team.name),
        "objective": _ref(dependency.objective, dependency.objective.title),
        "key_result": _ref(kr, kr.title) if kr is not None else None,
        "due": dependency.due,
        "created_at": dependency.created_at,
    }


def _next_sync(item: NextSync) -> dict[str, Any]:
    objective = item.objective
    return {
        "objective": _ref(objective, objective.title),
        "period": _ref(objective.period, objective.period.name),
        "next_sync_on": item.next_sync_on,
        "last_held_on": item.last_held_on,
        "overdue": item.overdue,
        "is_today": item.is_today,
    }


@router.get(
    "/inbox",
    response=InboxOut,
    summary="My week: what needs the caller's attention",
    description=(
        "The same inbox as the page: the caller's key results in active periods (those they "
        "own, and those without an owner on objectives they own), needing attention first — "
        "due for a check-in this cadence, without a Next Up, or with an overdue one — then "
        "those up to date; the results missing at a period's end (their key results in "
        "periods whose results are open, from two weeks before the end until the objective "
        "is closed, with no score yet); requests to their teams; next syncs of their teams' "
        "shared OKRs; the open blockers they raised and those on their teams' key results."
    ),
)
def inbox(request: HttpRequest) -> dict[str, Any]:
    member = member_of(request)
    today = services.org_today(member.organization)
    the_inbox = queries.inbox_for(member, today)
    blockers = [row.check_in for row in (*the_inbox.my_blockers, *the_inbox.team_blockers)]
    _load_for_blockers(blockers)
    start, end = the_inbox.window
    return {
        "today": today,
        "window": {"start": start, "end": end},
        "key_results": [_inbox_row(row) for row in (*the_inbox.attention, *the_inbox.caught_up)],
        "missing_results": [_missing_result(item) for item in the_inbox.missing_results],
        "requests": [_request(dependency) for dependency in the_inbox.requests],
        "next_syncs": [_next_sync(item) for item in the_inbox.next_syncs],
        "my_blockers": [blocker_out(member, row.check_in) for row in the_inbox.my_blockers],
        "team_blockers": [blocker_out(member, row.check_in) for row in the_inbox.team_blockers],
    }
