"""THE gate: every lookup of an organization's data for a person goes through here.

- another organization's object, or one that does not exist: 404
- a private objective or key result the member may not see: 404 (never 403, which would
  confirm that it exists)
- a visible object the member may not change: 403
Views, the API, exports, search, maps and notifications all call these functions or the
`visible_to` QuerySet methods they are built on.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from cairn.orgs.models import Member, Period, Team, TeamMembership, User

if TYPE_CHECKING:
    from cairn.alignment.models import Dependency
    from cairn.okrs.models import Initiative, KeyResult, Objective


def _uuid(value: str | uuid.UUID) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


def member_for(user: User, org_slug: str) -> Member:
    """The signed-in user's membership of the organization in the URL, or 404."""
    if not user.is_authenticated:
        raise Http404
    member = (
        Member.objects.select_related("organization", "user")
        .filter(organization__slug=org_slug, user=user, is_active=True)
        .first()
    )
    if member is None:
        raise Http404
    return member


def require_writer(member: Member) -> None:
    if not member.can_write:
        raise PermissionDenied(_("Viewers have read-only access."))


def require_admin(member: Member) -> None:
    if not member.is_admin:
        raise PermissionDenied(_("Only admins can do this."))


def team_ids_of(member: Member) -> set[int]:
    cached: set[int] | None = getattr(member, "_team_ids", None)
    if cached is None:
        # A membership subquery rather than a join: PostgreSQL then reads two indexes
        # instead of scanning every membership of the organization.
        in_team = TeamMembership.objects.filter(member=member).values("team_id")
        cached = set(
            Team.objects.filter(Q(id__in=in_team) | Q(lead=member))
            .order_by()
            .values_list("id", flat=True)
        )
        member._team_ids = cached  # type: ignore[attr-defined]
    return cached


def can_edit_team(member: Member, team: Team) -> bool:
    return member.is_admin


def team_for(member: Member, uid: str | uuid.UUID, *, write: bool = False) -> Team:
    team = (
        Team.objects.in_org(member.organization)
        .select_related("parent", "lead__user")
        .filter(uid=_uuid(uid))
        .first()
    )
    if team is None:
        raise Http404
    if write:
        require_admin(member)
    return team


def period_for(member: Member, uid: str | uuid.UUID, *, write: bool = False) -> Period:
    period = Period.objects.in_org(member.organization).filter(uid=_uuid(uid)).first()
    if period is None:
        raise Http404
    if write:
        require_admin(member)
    return period


def other_member_for(member: Member, uid: str | uuid.UUID, *, write: bool = False) -> Member:
    other = (
        Member.objects.in_org(member.organization)
        .select_related("user")
        .filter(uid=_uuid(uid))
        .first()
    )
    if other is None:
        raise Http404
    if write:
        require_admin(member)
    return other


def can_edit_objective(member: Member, objective: Objective) -> bool:
    """Admins, the owner, and members of an owning team may change an objective."""
    if not member.can_write:
        return False
    if member.is_admin or objective.owner_person_id == member.pk:
        return True
    owning_teams = {link.team_id for link in objective.team_links.all()}
    return bool(owning_teams & team_ids_of(member))


def can_edit_key_result(member: Member, key_result: KeyResult) -> bool:
    if not member.can_write:
        return False
    return key_result.owner_id == member.pk or can_edit_objective(member, key_result.objective)


def can_edit_initiative(member: Member, initiative: Initiative) -> bool:
    if not member.can_write:
        return False
    if member.is_admin or initiative.owner_id == member.pk:
        return True
    if initiative.team_id in team_ids_of(member):
        return True
    return can_edit_objective(member, initiative.objective)


def objective_for(member: Member, uid: str | uuid.UUID, *, write: bool = False) -> Objective:
    from cairn.okrs.models import Objective

    objective = (
        Objective.objects.visible_to(member)
        .select_related("period", "owner_person__user")
        .prefetch_related("team_links__team")
        .filter(uid=_uuid(uid))
        .first()
    )
    if objective is None:
        raise Http404
    if write and not can_edit_objective(member, objective):
        raise PermissionDenied(_("You cannot change this objective."))
    return objective


def key_result_for(member: Member, uid: str | uuid.UUID, *, write: bool = False) -> KeyResult:
    from cairn.okrs.models import KeyResult

    key_result = (
        KeyResult.objects.visible_to(member)
        .select_related("objective__period", "objective__owner_person__user", "owner__user")
        .prefetch_related("objective__team_links__team")
        .filter(uid=_uuid(uid))
        .first()
    )
    if key_result is None:
        raise Http404
    if write and not can_edit_key_result(member, key_result):
        raise PermissionDenied(_("You cannot change this key result."))
    return key_result


def initiative_for(member: Member, uid: str | uuid.UUID, *, write: bool = False) -> Initiative:
    from cairn.okrs.models import Initiative

    initiative = (
        Initiative.objects.visible_to(member)
        .select_related("objective__period", "key_result", "team", "owner__user", "period")
        .prefetch_related("objective__team_links")
        .filter(uid=_uuid(uid))
        .first()
    )
    if initiative is None:
        raise Http404
    if write and not can_edit_initiative(member, initiative):
        raise PermissionDenied(_("You cannot change this initiative."))
    return initiative


def can_answer_dependency(member: Member, dependency: Dependency) -> bool:
    """The providing team answers a request (its members and lead), and admins."""
    if not member.can_write:
        return False
    return member.is_admin or dependency.providing_team_id in team_ids_of(member)


def dependency_for(member: Member, uid: str | uuid.UUID) -> Dependency:
    """A dependency is as visible as the objective and key result it is raised from; who may
    make which move is decided per move (`alignment.services.moves_for`)."""
    from cairn.alignment.models import Dependency

    dependency = (
        Dependency.objects.visible_to(member)
        .select_related(
            "objective__period",
            "key_result",
            "requesting_team",
            "providing_team",
            "initiative__period",
            "created_by__user",
        )
        .prefetch_related("objective__team_links__team")
        .filter(uid=_uuid(uid))
        .first()
    )
    if dependency is None:
        raise Http404
    return dependency


def org_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorator for every view under /o/<org>/: sign-in required, then the membership gate.

    The view receives `member` (the signed-in person's Member of the organization in the URL)
    instead of the raw slug; `request.member` is set for templates.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        member = member_for(request.user, org)  # type: ignore[arg-type]
        request.member = member  # type: ignore[attr-defined]
        # Times on the organization's pages read in the organization's own time zone.
        try:
            zone = ZoneInfo(member.organization.time_zone)
        except (KeyError, ValueError):
            zone = ZoneInfo("UTC")
        with timezone.override(zone):
            return view(request, member, *args, **kwargs)

    return wrapper
