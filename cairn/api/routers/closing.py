"""API v1: closing a period (its checklist, close and reopen, for the organization or one
team) and carrying objectives over into the next period.

The same gate and the same services as the web UI's checklist (`reporting.views.closing`):
a period or team of another organization is a 404, closing without the right a 403 (admins
close a period, a team's lead closes it for the team, admins reopen), a write to a closed
period a 409 `period_closed`, bad input a 422 naming the field.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from cairn.api.auth import member_of
from cairn.api.errors import Error
from cairn.api.routers.objectives import _choice, _objective_out
from cairn.api.routers.orgs import PeriodOut, _period, _periods
from cairn.api.schemas_closing import CarryOverIn, ChecklistOut, CloseIn, ReopenIn
from cairn.api.schemas_okrs import ObjectiveOut
from cairn.okrs.models import KeyResult
from cairn.orgs.access import objective_for, period_for, team_for
from cairn.orgs.models import Member, Period, Team
from cairn.reporting import services
from cairn.reporting.queries import closing as queries

router = Router(tags=["closing"])


class ChecklistFilters(Schema):
    team: str | None = None


def _person(member: Member | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": str(member.uid), "name": member.name, "email": member.user.email}


def _titled(item: Any) -> dict[str, Any] | None:
    return None if item is None else {"id": str(item.uid), "title": item.title}


def _ref(item: Any) -> dict[str, Any] | None:
    return None if item is None else {"id": str(item.uid), "name": item.name}


def _closure(closed_at: Any, closed_by: Member | None, team: Team | None) -> dict[str, Any]:
    return {"closed_at": closed_at, "closed_by": _person(closed_by), "team": _ref(team)}


def _checklist_out(data: queries.Checklist) -> dict[str, Any]:
    closure = data.closure
    return {
        "period": _ref(data.period),
        "team": _ref(data.team),
        "state": data.period.state,
        "closed": _closure(closure.closed_at, closure.closed_by, closure.team) if closure else None,
        "counts": {
            "missing_results": len(data.missing_results),
            "open_blockers": len(data.open_blockers),
            "open_initiatives": len(data.open_initiatives),
            "unfinished_objectives": len(data.unfinished),
        },
        "missing_results": [
            {
                "id": str(kr.uid),
                "title": kr.title,
                "objective": _titled(kr.objective),
                "owner": _person(kr.owner),
            }
            for kr in data.missing_results
        ],
        "open_blockers": [
            {
                "id": str(check_in.uid),
                "text": check_in.confidence_needs
                or check_in.progress_comment
                or check_in.next_up_plan
                or check_in.context_why,
                "key_result": _titled(check_in.key_result),
                "author": _person(check_in.author),
                "at": check_in.at,
            }
            for check_in in data.open_blockers
        ],
        "open_initiatives": [
            {
                "id": str(initiative.uid),
                "title": initiative.title,
                "state": initiative.state,
                "objective": _titled(initiative.objective),
                "key_result": _titled(initiative.key_result),
                "team": _ref(initiative.team),
            }
            for initiative in data.open_initiatives
        ],
        "unfinished_objectives": [
            {
                "id": str(item.objective.uid),
                "title": item.objective.title,
                "can_carry_over": item.can_carry,
                "continued_in": _titled(item.continued),
                "key_results": [
                    {
                        "id": str(choice.key_result.uid),
                        "title": choice.key_result.title,
                        "unfinished": choice.unfinished,
                        "score": None
                        if choice.key_result.score is None
                        else float(choice.key_result.score),
                        "progress": choice.key_result.progress,
                        "continued_in": _titled(choice.continued),
                    }
                    for choice in item.key_results
                ],
            }
            for item in data.unfinished
        ],
        "next_period": _ref(data.next_period),
        "team_closures": [
            _closure(closure.closed_at, closure.closed_by, closure.team)
            for closure in data.team_closures
        ],
    }


def _period_out(period: Period) -> dict[str, Any]:
    return _period(_periods(Period.objects.filter(pk=period.pk)).get())


def _require_closer(member: Member, team: Team | None) -> None:
    if not services.can_close(member, team):
        raise PermissionDenied(
            _("Only admins close a period, and a team's lead for the team's own OKRs.")
        )


@router.get(
    "/periods/{period_id}/checklist",
    response={200: ChecklistOut, 403: Error},
    summary="The closing checklist of a period",
    description="What is still open before the period closes, as you may see it: key results "
    "without a Result, open blockers, initiatives still planned or in progress, and the "
    "unfinished objectives that could be carried over. Organization scope for admins; "
    "`?team=` for the team's own objectives (shared ones included), for admins and the team's "
    "lead. It is advice: a period closes with open items too.",
)
def get_checklist(
    request: HttpRequest, period_id: str, filters: Query[ChecklistFilters]
) -> dict[str, Any]:
    member = member_of(request)
    period = period_for(member, period_id)
    team = team_for(member, filters.team) if filters.team else None
    _require_closer(member, team)
    return _checklist_out(queries.checklist(member, period, team))


@router.post(
    "/periods/{period_id}/close",
    response={200: PeriodOut},
    summary="Close a period",
    description="Admins only. Every objective of the period becomes read-only (writes answer "
    "409 `period_closed`); who closed it and when is recorded, the note in its history.",
)
def close_period(request: HttpRequest, period_id: str, payload: CloseIn) -> dict[str, Any]:
    member = member_of(request)
    period = period_for(member, period_id)
    services.close_period(period=period, actor=member, note=payload.note)
    return _period_out(period)


@router.post(
    "/periods/{period_id}/reopen",
    response={200: PeriodOut},
    summary="Reopen a closed period",
    description="Admins only, with a reason (a 422 on `reason` without one): its OKRs become "
    "writable again, except those of teams that closed it for themselves.",
)
def reopen_period(request: HttpRequest, period_id: str, payload: ReopenIn) -> dict[str, Any]:
    member = member_of(request)
    period = period_for(member, period_id)
    services.reopen_period(period=period, actor=member, reason=payload.reason)
    return _period_out(period)


@router.post(
    "/periods/{period_id}/teams/{team_id}/close",
    response={200: PeriodOut},
    summary="Close a period for a team's own OKRs",
    description="Admins and the team's lead. The team's objectives become read-only; a "
    "shared objective once every owning team has closed; personal objectives only with the "
    "whole period.",
)
def close_for_team(
    request: HttpRequest, period_id: str, team_id: str, payload: CloseIn
) -> dict[str, Any]:
    member = member_of(request)
    period = period_for(member, period_id)
    team = team_for(member, team_id)
    services.close_for_team(period=period, team=team, actor=member, note=payload.note)
    return _period_out(period)


@router.post(
    "/periods/{period_id}/teams/{team_id}/reopen",
    response={200: PeriodOut},
    summary="Reopen a period for a team",
    description="Admins only, with a reason: undoes the team's closure of the period.",
)
def reopen_for_team(
    request: HttpRequest, period_id: str, team_id: str, payload: ReopenIn
) -> dict[str, Any]:
    member = member_of(request)
    period = period_for(member, period_id)
    team = team_for(member, team_id)
    services.reopen_for_team(period=period, team=team, actor=member, reason=payload.reason)
    return _period_out(period)


@router.post(
    "/objectives/{objective_id}/carry-over",
    response={201: ObjectiveOut},
    summary="Carry an objective over into the next period",
    description="For those who may change the objective. It continues in the next period "
    "(or `period`) with the chosen key results, each starting where it ended; unfinished "
    "initiatives are copied into that period's planning; the closed period does not change. "
    "Carrying over again adds the key results not continued yet to the same continuation. "
    "Answers the continuation.",
)
def carry_over(
    request: HttpRequest, objective_id: uuid.UUID, payload: CarryOverIn
) -> Status[dict[str, Any]]:
    member = member_of(request)
    objective = objective_for(member, objective_id, write=True)
    to = _choice("period", period_for, member, payload.period) if payload.period else None
    visible = list(
        KeyResult.objects.visible_to(member).filter(objective=objective).order_by("position", "id")
    )
    if payload.key_results is None:
        threshold = member.organization.achieved_threshold
        chosen = [kr for kr in visible if services.is_unfinished(kr, threshold)]
    else:
        wanted = set(payload.key_results)
        chosen = [kr for kr in visible if kr.uid in wanted]
        if len(chosen) != len(wanted):
            raise ValidationError({"key_results": _("Choose key results of this objective.")})
    if not chosen:
        raise ValidationError(
            {"key_results": _("Nothing to carry over: choose at least one key result.")}
        )
    # Already continued ones are skipped by the service: asking again adds only the others.
    try:
        new = services.carry_over(actor=member, objective=objective, key_results=chosen, to=to)
    except services.NoNextPeriod as exc:
        raise ValidationError({"period": exc.messages}) from exc
    return Status(201, _objective_out(member, new))
