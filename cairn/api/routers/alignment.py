"""API v1: dependencies between teams, the period's alignment graph and its health report.

The second face of `cairn.alignment.views`, over the same gate, services and queries: a
request is read through `dependency_for` (404 when the caller may not see it), every write
goes through `cairn.alignment.services`, and the graph is the map page's
(`queries.map.alignment_graph`), redacted nodes included. Like the pages, a move the state
machine does not allow from the current state is 409, a move that is the other side's is
403, and a missing comment is 422 naming `comment`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from cairn.alignment import services
from cairn.alignment.models import Dependency, DependencyEvent, DependencyState
from cairn.alignment.queries import dependencies as dependency_queries
from cairn.alignment.queries import health as health_queries
from cairn.alignment.queries import map as map_queries
from cairn.api.auth import member_of
from cairn.api.common import Page, PageParams, PersonRef, Ref, check_fresh, paginate
from cairn.api.errors import Conflict, Error
from cairn.api.schemas_alignment import (
    MAX_TEXT,
    UUID_EXAMPLE,
    AlignmentGraphOut,
    CommentIn,
    DependencyDetailOut,
    DependencyFilters,
    DependencyIn,
    DependencyOut,
    DependencyPatch,
    EventOut,
    GraphEdge,
    HealthOut,
    InitiativeRef,
    MoveIn,
    ObjectiveNode,
    OverOptimisticOut,
    PeriodParams,
    PeriodRefOut,
    RedactedNode,
    SharedWithoutInitiativeOut,
    SiloOut,
    TeamNode,
    UnalignedOut,
    UnansweredOut,
)
from cairn.okrs import queries as okr_queries
from cairn.okrs.models import Initiative, KeyResult, ObjectiveTeam
from cairn.orgs.access import (
    can_edit_objective,
    dependency_for,
    key_result_for,
    objective_for,
    period_for,
    require_writer,
    team_for,
)
from cairn.orgs.models import Member, Period, Team

router = Router(tags=["alignment"])

S = DependencyState
T = TypeVar("T")
# Until it is closed, the asking side may reword a request (the service says the same).
EDITABLE_STATES = frozenset({S.PROPOSED, S.ACCEPTED, S.DECLINED})

# 401, 403, 404 and 422 are documented for every operation by `errors.document_errors`.


def _dependency_id() -> Any:
    return Path(..., description="The dependency's id.", example=UUID_EXAMPLE)


# Small helpers ------------------------------------------------------------------------------


def _ref(uid: uuid.UUID, name: str) -> Ref:
    return Ref(id=str(uid), name=name)


def _person(member: Member | None) -> PersonRef | None:
    """Name and e-mail of a member whose user row is already loaded."""
    if member is None:
        return None
    return PersonRef(id=str(member.uid), name=member.name, email=member.user.email)


def _period_out(period: Period | None) -> PeriodRefOut | None:
    if period is None:
        return None
    return PeriodRefOut(
        id=str(period.uid), name=period.name, start=period.start, end=period.end, state=period.state
    )


def _web(member: Member, name: str, *args: object) -> str:
    return reverse(name, args=[member.organization.slug, *args])


def _lookup(field: str, message: str, find: Callable[[], T]) -> T:
    """A body reference through the gate. Whether the id is malformed, unknown, of another
    organization or not visible to the caller, the answer is the same 422 naming the field:
    nothing says whether it exists."""
    try:
        return find()
    except Http404:
        raise ValidationError({field: message}) from None


def _check_length(field: str, value: str | None) -> None:
    if value is not None and len(value) > MAX_TEXT:
        raise ValidationError(
            {field: _("Keep it under %(count)d characters.") % {"count": MAX_TEXT}}
        )


def _moment(value: dt.datetime, field: str) -> dt.datetime:
    """A moment sent by the client, in UTC; without an offset it is read as UTC."""
    aware = value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)
    try:
        return aware.astimezone(dt.UTC)
    except OverflowError:
        raise ValidationError({field: _("That moment is out of range.")}) from None


def _selected_period(member: Member, uid: str | None) -> Period | None:
    """The period asked for (404 when the caller's organization has no such period, as on
    the pages), else the current one; None while the organization has no period at all."""
    if uid:
        return period_for(member, uid)
    periods = okr_queries.periods_of(member)
    return okr_queries.current_period(periods, okr_queries.today_for(member.organization))


# Dependencies: representations --------------------------------------------------------------


def _dependency_out(dependency: Dependency, *, initiative_visible: bool) -> dict[str, Any]:
    """Every related row read here is joined in by the gate or the list's query."""
    objective = dependency.objective
    initiative = dependency.initiative if dependency.initiative_id else None
    return {
        "id": str(dependency.uid),
        "period": _ref(objective.period.uid, objective.period.name),
        "objective": _ref(objective.uid, objective.title),
        "key_result": (
            _ref(dependency.key_result.uid, dependency.key_result.title)
            if dependency.key_result is not None
            else None
        ),
        "requesting_team": _ref(dependency.requesting_team.uid, dependency.requesting_team.name),
        "providing_team": _ref(dependency.providing_team.uid, dependency.providing_team.name),
        "need": dependency.need,
        "due": dependency.due,
        "initiative": (
            InitiativeRef(
                id=str(initiative.uid),
                name=initiative.title,
                state=initiative.state,
                period=_ref(initiative.period.uid, initiative.period.name),
            )
            if initiative is not None and initiative_visible
            else None
        ),
        "initiative_private": initiative is not None and not initiative_visible,
        "state": dependency.state,
        "created_by": _person(dependency.created_by),
        "created_at": dependency.created_at,
        "updated_at": dependency.updated_at,
        "asked_at": dependency.asked_at,
        "answered_at": dependency.answered_at,
    }


def _event_out(event: DependencyEvent) -> EventOut:
    return EventOut(
        id=str(event.uid),
        author=_person(event.author),
        from_state=event.from_state or None,
        to_state=event.to_state or None,
        comment=event.comment,
        at=event.created_at,
    )


def _detail(member: Member, dependency: Dependency) -> DependencyDetailOut:
    visible = dependency_queries.initiative_visible(member, dependency)
    return DependencyDetailOut(
        **_dependency_out(dependency, initiative_visible=visible),
        moves=services.moves_for(member, dependency),
        can_edit=dependency.state in EDITABLE_STATES
        and can_edit_objective(member, dependency.objective),
        thread=[_event_out(event) for event in dependency_queries.thread(dependency)],
    )


# Dependencies: endpoints --------------------------------------------------------------------


@router.get(
    "/dependencies",
    response={200: Page[DependencyOut]},
    summary="List dependencies",
    description=(
        "Requests between teams that you may see (as visible as the objective and key result "
        "they are raised from), oldest change first (`updated_at`, then id), so that a "
        "client can page through and then ask again with `updated_since`. Without `period`, "
        "every period's."
    ),
)
def list_dependencies(
    request: HttpRequest, filters: Query[DependencyFilters], page: Query[PageParams]
) -> dict[str, Any]:
    member = member_of(request)
    qs = dependency_queries.visible_dependencies(member).select_related("created_by__user")
    if filters.period:
        qs = qs.filter(objective__period=period_for(member, filters.period))
    if filters.team:
        team = team_for(member, filters.team)
        qs = qs.filter(Q(requesting_team=team) | Q(providing_team=team))
    if filters.state:
        if filters.state not in S.values:
            raise ValidationError({"state": _("There is no such state.")})
        qs = qs.filter(state=filters.state)
    if filters.updated_since is not None:
        qs = qs.filter(updated_at__gte=_moment(filters.updated_since, "updated_since"))
    result = paginate(qs.order_by("updated_at", "id"), page)
    result["items"] = [
        _dependency_out(dependency, initiative_visible=dependency.initiative_visible)  # type: ignore[attr-defined]
        for dependency in result["items"]
    ]
    return result


@router.post(
    "/dependencies",
    response={201: DependencyDetailOut},
    summary="Ask another team for something",
    description=(
        "Raise a request from an objective you may change. It starts `proposed`; a key "
        "result that leans on it is over-optimistic until the other team accepts. An id you "
        "may not use (unknown, of another organization, or not visible to you) is a 422 "
        "naming the field."
    ),
)
def create_dependency(request: HttpRequest, payload: DependencyIn) -> Status:
    member = member_of(request)
    require_writer(member)
    _check_length("need", payload.need)
    objective = _lookup(
        "objective",
        _("There is no such objective."),
        lambda: objective_for(member, payload.objective),
    )
    key_result: KeyResult | None = None
    if payload.key_result:
        uid = payload.key_result
        key_result = _lookup(
            "key_result", _("There is no such key result."), lambda: key_result_for(member, uid)
        )
    requesting = _lookup(
        "requesting_team",
        _("There is no such team."),
        lambda: team_for(member, payload.requesting_team),
    )
    providing = _lookup(
        "providing_team",
        _("There is no such team."),
        lambda: team_for(member, payload.providing_team),
    )
    initiative: Initiative | None = None
    if payload.initiative:
        owning = {link.team_id for link in objective.team_links.all()}
        # The initiatives the web form offers: visible, of the objective's period, not done.
        choices = dependency_queries.initiative_choices(
            member, period=objective.period, exclude_team_ids=owning
        )
        initiative = _initiative_choice(choices, payload.initiative)
    created = services.request_dependency(
        actor=member,
        objective=objective,
        requesting_team=requesting,
        providing_team=providing,
        need=payload.need,
        key_result=key_result,
        due=payload.due,
        initiative=initiative,
    )
    return Status(201, _detail(member, dependency_for(member, created.uid)))


def _initiative_choice(choices: Any, uid: str) -> Initiative:
    try:
        found: Initiative | None = choices.filter(uid=uuid.UUID(uid)).first()
    except ValueError:
        found = None
    if found is None:
        raise ValidationError(
            {
                "initiative": _(
                    "Link one of the providing team's initiatives of the objective's period "
                    "that is not done yet, or none."
                )
            }
        )
    return found


@router.get(
    "/dependencies/{dependency_id}",
    response={200: DependencyDetailOut},
    summary="One dependency, its thread and your moves",
)
def get_dependency(
    request: HttpRequest, dependency_id: str = _dependency_id()
) -> DependencyDetailOut:
    member = member_of(request)
    return _detail(member, dependency_for(member, dependency_id))


@router.patch(
    "/dependencies/{dependency_id}",
    response={200: DependencyDetailOut, 409: Error},
    summary="Change what is asked",
    description=(
        "The asking side rewords the request, moves its date or links another initiative of "
        "the providing team, while it is proposed, accepted or declined. Fields you leave "
        "out stay as they are. With `updated_at`, a request changed since you read it is a "
        "409."
    ),
)
def update_dependency(
    request: HttpRequest, payload: DependencyPatch, dependency_id: str = _dependency_id()
) -> DependencyDetailOut:
    member = member_of(request)
    dependency = dependency_for(member, dependency_id)
    require_writer(member)
    if not can_edit_objective(member, dependency.objective):
        raise PermissionDenied(
            _("Only %(team)s can change its own request.")
            % {"team": dependency.requesting_team.name}
        )
    check_fresh(
        dependency.updated_at,
        None if payload.updated_at is None else _moment(payload.updated_at, "updated_at"),
    )
    sent = payload.model_fields_set
    _check_length("need", payload.need)
    need = (payload.need or "") if "need" in sent else dependency.need
    due = payload.due if "due" in sent else dependency.due
    initiative = dependency.initiative
    if "initiative" in sent:
        hidden = initiative is not None and not dependency_queries.initiative_visible(
            member, dependency
        )
        if hidden:
            # As in the web form: a linked initiative the caller may not see is neither
            # shown nor unlinked; null (what they read) keeps it.
            if payload.initiative is not None:
                raise ValidationError(
                    {
                        "initiative": _(
                            "The linked initiative is private: it cannot be changed here."
                        )
                    }
                )
        elif payload.initiative is None:
            initiative = None
        else:
            choices = dependency_queries.initiative_choices(
                member,
                period=dependency.objective.period,
                team=dependency.providing_team,
                keep=dependency.initiative,
            )
            initiative = _initiative_choice(choices, payload.initiative)
    services.update_dependency(
        actor=member, dependency=dependency, need=need, due=due, initiative=initiative
    )
    return _detail(member, dependency_for(member, dependency.uid))


@router.post(
    "/dependencies/{dependency_id}/state",
    response={200: DependencyDetailOut, 409: Error},
    summary="Move a dependency to another state",
    description=(
        "The providing team accepts, declines, makes it a shared OKR (the team becomes an "
        "owner of the objective) or defers it (its initiative moves to the next period); "
        "the asking team withdraws it or asks again after a decline. A move the state "
        "machine does not allow from the current state is 409, the other side's move 403, "
        "and every move needs a comment (422 naming `comment`). `moves` on the dependency "
        "lists what you may do now."
    ),
)
def move_dependency(
    request: HttpRequest, payload: MoveIn, dependency_id: str = _dependency_id()
) -> DependencyDetailOut:
    member = member_of(request)
    dependency = dependency_for(member, dependency_id)
    require_writer(member)
    try:
        # Whether the move is possible at all, and whose it is, comes before its comment.
        services.check_move(actor=member, dependency=dependency, to_state=payload.state)
        _check_length("comment", payload.comment)
        services.change_dependency_state(
            actor=member, dependency=dependency, to_state=payload.state, comment=payload.comment
        )
    except services.IllegalMove as exc:
        raise Conflict(" ".join(exc.messages)) from None
    return _detail(member, dependency_for(member, dependency.uid))


@router.post(
    "/dependencies/{dependency_id}/comments",
    response={201: EventOut},
    summary="Add to a dependency's discussion",
)
def comment_on_dependency(
    request: HttpRequest, payload: CommentIn, dependency_id: str = _dependency_id()
) -> Status:
    member = member_of(request)
    dependency = dependency_for(member, dependency_id)
    require_writer(member)
    _check_length("comment", payload.comment)
    event = services.comment_on_dependency(
        actor=member, dependency=dependency, comment=payload.comment
    )
    return Status(201, _event_out(event))


# The alignment graph ------------------------------------------------------------------------


def _graph(member: Member, period: Period) -> AlignmentGraphOut:
    graph = map_queries.alignment_graph(member, period)
    # The same redacted nodes, numbered the same way, as on the map page of the whole
    # organization (whose rows are every objective of the period).
    redacted = graph.redacted_in_chains(graph.nodes)
    team_by_id = {team.pk: team for team in graph.teams}

    # Objectives of other periods at the end of a link (a parent in the enclosing year...):
    # visible ones, loaded by the graph without their owners.
    elsewhere: list[map_queries.MapNode] = []
    seen: set[int] = set()
    for node in [*graph.nodes, *redacted]:
        for edge in [*node.up, *node.down]:
            other = edge.node
            if other.objective is not None and not other.in_period and id(other) not in seen:
                seen.add(id(other))
                elsewhere.append(other)
    elsewhere_teams, elsewhere_owners = _owners_elsewhere(member, elsewhere, team_by_id)

    nodes: list[ObjectiveNode | RedactedNode | TeamNode] = []
    wanted_teams: set[int] = set()
    for node in [*graph.nodes, *elsewhere]:
        objective = node.objective
        assert objective is not None
        if node.in_period:
            teams, owner, node_period = node.teams, objective.owner_person, period
        else:
            teams = elsewhere_teams.get(objective.pk, [])
            owner = elsewhere_owners.get(objective.owner_person_id or 0)
            node_period = objective.period
        wanted_teams |= {team.pk for team in teams}
        nodes.append(
            ObjectiveNode(
                id=str(objective.uid),
                title=objective.title,
                period=_ref(node_period.uid, node_period.name),
                in_period=node.in_period,
                private=objective.is_private,
                owner_teams=[_ref(team.uid, team.name) for team in teams],
                owner_person=_person(owner),
                progress=(
                    node.progress.value if node.in_period and node.progress is not None else None
                ),
            )
        )
    nodes.extend(RedactedNode(id=node.anchor) for node in redacted)

    def node_id(node: map_queries.MapNode) -> str:
        return node.anchor if node.objective is None else str(node.objective.uid)

    on_graph = {id(node) for node in [*graph.nodes, *elsewhere, *redacted]}
    edges: list[GraphEdge] = []
    for node in [*graph.nodes, *elsewhere, *redacted]:
        # Each link once: from its child, towards its parent.
        for edge in node.up:
            if id(edge.node) not in on_graph:
                continue
            through = edge.key_result
            edges.append(
                GraphEdge.model_validate(
                    {
                        "from": node_id(node),
                        "to": node_id(edge.node),
                        "kind": "aligned_to",
                        "via_key_result": _ref(through.uid, through.title) if through else None,
                        "via_private_key_result": edge.via_private_key_result,
                    }
                )
            )
    key_results = {kr.pk: kr for node in graph.nodes for kr in node.key_results}
    for dependency in graph.dependencies:
        kr = key_results.get(dependency.key_result_id or 0)
        requesting = team_by_id[dependency.requesting_team_id]
        providing = team_by_id[dependency.providing_team_id]
        wanted_teams |= {requesting.pk, providing.pk}
        edges.append(
            GraphEdge.model_validate(
                {
                    "from": str(dependency.objective.uid),
                    "to": str(providing.uid),
                    "kind": "dependency",
                    "via_key_result": _ref(kr.uid, kr.title) if kr is not None else None,
                    "dependency": str(dependency.uid),
                    "state": dependency.state,
                    "requesting_team": str(requesting.uid),
                }
            )
        )

    # The teams on the graph and the teams above them (the map's team tree), by name.
    for team_id in list(wanted_teams):
        parent = team_by_id[team_id].parent_id
        while parent is not None and parent in team_by_id and parent not in wanted_teams:
            wanted_teams.add(parent)
            parent = team_by_id[parent].parent_id
    for team in graph.teams:
        if team.pk in wanted_teams:
            above = team_by_id.get(team.parent_id or 0)
            nodes.append(
                TeamNode(id=str(team.uid), name=team.name, parent=str(above.uid) if above else None)
            )
    return AlignmentGraphOut(period=_period_out(period), nodes=nodes, edges=edges)


def _owners_elsewhere(
    member: Member, nodes: list[map_queries.MapNode], team_by_id: dict[int, Team]
) -> tuple[dict[int, list[Team]], dict[int, Member]]:
    """Owning teams and owners of the graph's objectives of other periods: two queries,
    whatever their number."""
    if not nodes:
        return {}, {}
    ids = [node.objective.pk for node in nodes if node.objective is not None]
    teams: dict[int, list[Team]] = {}
    for objective_id, team_id in ObjectiveTeam.objects.filter(
        organization_id=member.organization_id, objective_id__in=ids
    ).values_list("objective_id", "team_id"):
        teams.setdefault(objective_id, []).append(team_by_id[team_id])
    for owning in teams.values():
        owning.sort(key=lambda team: team.name.lower())
    person_ids = {
        node.objective.owner_person_id
        for node in nodes
        if node.objective is not None and node.objective.owner_person_id
    }
    owners = {
        person.pk: person
        for person in Member.objects.in_org(member.organization)
        .select_related("user")
        .filter(pk__in=person_ids)
    }
    return teams, owners


@router.get(
    "/alignment",
    response={200: AlignmentGraphOut},
    by_alias=True,
    summary="The period's alignment graph",
    description=(
        "Nodes and edges of the period's alignment, as the map page shows them to you: the "
        "objectives of the period you may see, objectives of other periods they link to, "
        "the teams they belong to, and — for an objective you may not see that sits in an "
        "alignment chain of one you may see — a redacted node that keeps its place and "
        "nothing else. Without `period`, the current period; a period of another "
        "organization is a 404."
    ),
)
def graph(request: HttpRequest, params: Query[PeriodParams]) -> AlignmentGraphOut:
    member = member_of(request)
    period = _selected_period(member, params.period)
    if period is None:
        return AlignmentGraphOut(period=None, nodes=[], edges=[])
    return _graph(member, period)


# The health report --------------------------------------------------------------------------


def _teams(teams: list[Team]) -> list[Ref]:
    return [_ref(team.uid, team.name) for team in teams]


def _health(member: Member, period: Period) -> HealthOut:
    report = health_queries.alignment_health(member, period)
    period_query = f"?period={period.uid}"
    return HealthOut(
        period=_period_out(period),
        objective_count=report.objective_count,
        finding_count=report.finding_count,
        private_hidden=report.private_hidden,
        unaligned=[
            UnalignedOut(
                objective=_ref(item.objective.uid, item.objective.title),
                private=item.objective.is_private,
                owner_teams=_teams(item.teams),
                owner_person=_person(item.objective.owner_person),
                url=_web(member, "okrs:objective", item.objective.uid) + "#alignment",
            )
            for item in report.unaligned
        ],
        silos=[
            SiloOut(
                team=_ref(silo.team.uid, silo.team.name),
                objectives=silo.objectives,
                url=_web(member, "alignment:team_alignment", silo.team.uid) + period_query,
            )
            for silo in report.silos
        ],
        unanswered=[
            UnansweredOut(
                dependency=str(item.dependency.uid),
                need=item.dependency.need,
                objective=_ref(item.dependency.objective.uid, item.dependency.objective.title),
                requesting_team=_ref(
                    item.dependency.requesting_team.uid, item.dependency.requesting_team.name
                ),
                providing_team=_ref(
                    item.dependency.providing_team.uid, item.dependency.providing_team.name
                ),
                asked_at=item.dependency.asked_at,
                days=item.days,
                url=_web(member, "alignment:dependency", item.dependency.uid),
            )
            for item in report.unanswered
        ],
        over_optimistic=[
            OverOptimisticOut(
                key_result=_ref(kr.uid, kr.title),
                objective=_ref(kr.objective.uid, kr.objective.title),
                private=kr.is_private,
                unaccepted_dependencies=kr.unaccepted_dependencies,
                url=_web(member, "alignment:objective_dependencies", kr.objective.uid),
            )
            for kr in report.over_optimistic
        ],
        shared_without_initiative=[
            SharedWithoutInitiativeOut(
                objective=_ref(item.objective.uid, item.objective.title),
                owner_teams=_teams(item.teams),
                missing=_teams(item.missing),
                url=_web(member, "okrs:objective", item.objective.uid) + "#initiatives",
            )
            for item in report.shared_without_initiative
        ],
    )


@router.get(
    "/alignment/health",
    response={200: HealthOut},
    summary="The period's alignment health report",
    description=(
        "Where alignment is missing or at risk in the period, as the health page shows it: "
        "objectives aligned to nothing, silos, requests unanswered after a week, "
        "over-optimistic key results and shared OKRs missing a team's initiative, each with "
        "its ids and the page where to fix it; and how many private items of the period you "
        "may not see. Without `period`, the current period; a period of another organization "
        "is a 404."
    ),
)
def health(request: HttpRequest, params: Query[PeriodParams]) -> HealthOut:
    member = member_of(request)
    period = _selected_period(member, params.period)
    if period is None:
        return HealthOut(
            period=None,
            objective_count=0,
            finding_count=0,
            private_hidden=0,
            unaligned=[],
            silos=[],
            unanswered=[],
            over_optimistic=[],
            shared_without_initiative=[],
        )
    return _health(member, period)
