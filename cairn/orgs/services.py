"""Writes about organizations, people, teams and periods. Typed, keyword-only, one transaction."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from cairn.lib import dates
from cairn.orgs import history
from cairn.orgs.models import (
    Cadence,
    Member,
    Organization,
    Period,
    PeriodKind,
    PeriodState,
    Role,
    Team,
    TeamMembership,
    User,
    Weekday,
    slug_validator,
)

TEAM_FIELDS = ("name", "description", "parent", "lead")
PERIOD_FIELDS = ("name", "kind", "start", "end", "state")


def generate_password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def create_organization(
    *, name: str, slug: str, admin_email: str, admin_name: str = "", password: str | None = None
) -> tuple[Organization, Member]:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("An organization needs a name.")})
    slug_validator(slug)
    if Organization.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("An organization with this slug already exists.")})
    organization = Organization.objects.create(name=name, slug=slug)
    admin = add_member(
        organization=organization,
        email=admin_email,
        role=Role.ADMIN,
        name=admin_name,
        password=password,
        actor=None,
    )
    return organization, admin


@transaction.atomic
def add_member(
    *,
    organization: Organization,
    email: str,
    role: str,
    actor: Member | None,
    name: str = "",
    title: str = "",
    password: str | None = None,
    team: Team | None = None,
) -> Member:
    """Add a person to the organization; `password` is used only when a new account is made."""
    email = User.objects.normalize_email(email.strip()).lower()
    if "@" not in email:
        raise ValidationError({"email": _("Enter a valid e-mail address.")})
    if role not in Role.values:
        raise ValidationError({"role": _("Choose admin, member or viewer.")})
    if team is not None and team.organization_id != organization.pk:
        raise ValidationError({"team": _("That team is not in this organization.")})
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, name=name)
    else:
        # An existing account keeps its password: the admin of one organization must never be
        # able to take over a person's sign-in by "adding" them with a password of their own.
        if Member.objects.filter(organization=organization, user=user).exists():
            raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    member = Member.objects.create(organization=organization, user=user, role=role, title=title)
    history.record(
        organization=organization,
        actor=actor,
        action=history.Action.CREATED,
        target_kind="member",
        target_uid=member.uid,
        target_label=member.name,
        changes={"role": [None, role]},
    )
    if team is not None:
        add_team_member(team=team, member=member, actor=actor)
    return member


@transaction.atomic
def change_member(
    *,
    member: Member,
    actor: Member | None,
    role: str | None = None,
    title: str | None = None,
    name: str | None = None,
    is_active: bool | None = None,
) -> Member:
    if role is not None and role not in Role.values:
        raise ValidationError({"role": _("Choose admin, member or viewer.")})
    demoting = (role is not None and role != Role.ADMIN) or is_active is False
    if (
        member.is_admin
        and demoting
        and (
            not Member.objects.in_org(member.organization)
            .filter(role=Role.ADMIN, is_active=True)
            .exclude(pk=member.pk)
            .exists()
        )
    ):
        raise ValidationError({"role": _("An organization needs at least one active admin.")})
    before = {
        "role": member.role,
        "title": member.title,
        "is_active": member.is_active,
        "name": member.user.name,
    }
    fields = []
    if role is not None:
        member.role = role
        fields.append("role")
    if title is not None:
        member.title = title
        fields.append("title")
    if is_active is not None:
        member.is_active = is_active
        fields.append("is_active")
    if fields:
        member.save(update_fields=fields)
    if name is not None and name != member.user.name:
        member.user.name = name
        member.user.save(update_fields=["name"])
    after = {
        "role": member.role,
        "title": member.title,
        "is_active": member.is_active,
        "name": member.user.name,
    }
    changes = history.diff(before, after)
    if changes:
        history.record(
            organization=member.organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="member",
            target_uid=member.uid,
            target_label=member.name,
            changes=changes,
        )
    return member


def _check_team_parent(team: Team | None, parent: Team | None, organization: Organization) -> None:
    if parent is None:
        return
    if parent.organization_id != organization.pk:
        raise ValidationError({"parent": _("That team is not in this organization.")})
    if team is None or team.pk is None:
        return
    seen: set[int] = set()
    node: Team | None = parent
    while node is not None:
        if node.pk == team.pk:
            raise ValidationError(
                {"parent": _("A team cannot sit below itself or one of its sub-teams.")}
            )
        if node.pk in seen:
            break
        seen.add(node.pk)
        node = node.parent
    return


def _check_team_name(organization: Organization, name: str, team: Team | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A team needs a name.")})
    clash = Team.objects.in_org(organization).filter(name__iexact=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise ValidationError({"name": _("Another team already has this name.")})
    return name


@transaction.atomic
def create_team(
    *,
    organization: Organization,
    actor: Member | None,
    name: str,
    description: str = "",
    parent: Team | None = None,
    lead: Member | None = None,
) -> Team:
    name = _check_team_name(organization, name)
    _check_team_parent(None, parent, organization)
    if lead is not None and lead.organization_id != organization.pk:
        raise ValidationError({"lead": _("The lead must be a member of this organization.")})
    team = Team.objects.create(
        organization=organization, name=name, description=description, parent=parent, lead=lead
    )
    history.record(
        organization=organization,
        actor=actor,
        action=history.Action.CREATED,
        target_kind="team",
        target_uid=team.uid,
        target_label=team.name,
        changes={key: [None, value] for key, value in history.snapshot(team, TEAM_FIELDS).items()},
    )
    if lead is not None:
        add_team_member(team=team, member=lead, actor=actor)
    return team


@transaction.atomic
def update_team(*, team: Team, actor: Member | None, **fields: Any) -> Team:
    unknown = set(fields) - set(TEAM_FIELDS)
    if unknown:
        raise TypeError(f"unknown team fields: {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = _check_team_name(team.organization, fields["name"], team)
    if "parent" in fields:
        _check_team_parent(team, fields["parent"], team.organization)
    lead = fields.get("lead")
    if lead is not None and lead.organization_id != team.organization_id:
        raise ValidationError({"lead": _("The lead must be a member of this organization.")})
    forget_teams(lead)
    before = history.snapshot(team, TEAM_FIELDS)
    for key, value in fields.items():
        setattr(team, key, value)
    team.save(update_fields=list(fields))
    changes = history.diff(before, history.snapshot(team, TEAM_FIELDS))
    if changes:
        history.record(
            organization=team.organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="team",
            target_uid=team.uid,
            target_label=team.name,
            changes=changes,
        )
    if lead is not None and not TeamMembership.objects.filter(team=team, member=lead).exists():
        add_team_member(team=team, member=lead, actor=actor)
    return team


@transaction.atomic
def delete_team(*, team: Team, actor: Member | None) -> None:
    if team.children.exists():
        raise ValidationError(_("Move or delete this team's sub-teams first."))
    if team.initiatives.exists():
        raise ValidationError(_("This team still has initiatives; move or delete them first."))
    # The cascade would silently drop the team from its objectives' owners (and leave an
    # objective it owned alone with no owner at all).
    if team.objective_links.exists():
        raise ValidationError(
            _("This team still owns objectives; give them to another owner first.")
        )
    history.record(
        organization=team.organization,
        actor=actor,
        action=history.Action.DELETED,
        target_kind="team",
        target_uid=team.uid,
        target_label=team.name,
    )
    try:
        with transaction.atomic():
            team.delete()
    except ProtectedError as exc:
        # Dependency requests to or from the team keep their discussion: they are not
        # deleted behind anyone's back (orgs does not know the alignment app by name).
        raise ValidationError(
            _("This team still has dependency requests to or from it; settle them first.")
        ) from exc


@transaction.atomic
def forget_teams(member: Member | None) -> None:
    """Drop the teams `access.team_ids_of` remembered on this Member object (one request's
    worth): after a change of membership or lead, the gate reads them again."""
    if member is not None:
        member.__dict__.pop("_team_ids", None)


def add_team_member(*, team: Team, member: Member, actor: Member | None) -> TeamMembership:
    if member.organization_id != team.organization_id:
        raise ValidationError({"member": _("That person is not in this organization.")})
    existing = TeamMembership.objects.filter(team=team, member=member).first()
    if existing is not None:
        return existing
    link = TeamMembership.objects.create(
        organization_id=team.organization_id, team=team, member=member
    )
    forget_teams(member)
    history.record(
        organization=team.organization,
        actor=actor,
        action=history.Action.ADDED,
        target_kind="team",
        target_uid=team.uid,
        target_label=team.name,
        changes={"members": [None, member.name]},
    )
    return link


@transaction.atomic
def remove_team_member(*, team: Team, member: Member, actor: Member | None) -> None:
    deleted, _count = TeamMembership.objects.filter(team=team, member=member).delete()
    if not deleted:
        return
    forget_teams(member)
    if team.lead_id == member.pk:
        team.lead = None
        team.save(update_fields=["lead"])
    history.record(
        organization=team.organization,
        actor=actor,
        action=history.Action.REMOVED,
        target_kind="team",
        target_uid=team.uid,
        target_label=team.name,
        changes={"members": [member.name, None]},
    )


def _check_period(
    organization: Organization,
    name: str,
    start: dt.date,
    end: dt.date,
    period: Period | None,
    *,
    kind: str,
    state: str,
) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A period needs a name.")})
    if end < start:
        raise ValidationError({"end": _("The end must not be before the start.")})
    if kind not in PeriodKind.values:
        raise ValidationError({"kind": _("Choose quarter, year or custom.")})
    if state not in PeriodState.values:
        raise ValidationError({"state": _("Choose planning, active or closed.")})
    others = Period.objects.in_org(organization)
    if period is not None:
        others = others.exclude(pk=period.pk)
    if others.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("Another period already has this name.")})
    same_kind = others.filter(kind=kind)
    if same_kind.filter(start=start, end=end).exists():
        raise ValidationError({"start": _("Another period of this kind has exactly these dates.")})
    # Two active periods of one kind over the same days would make "the current quarter"
    # ambiguous on every page that defaults to it.
    if (
        state == PeriodState.ACTIVE
        and same_kind.filter(state=PeriodState.ACTIVE, start__lte=end, end__gte=start).exists()
    ):
        raise ValidationError(
            {"state": _("Another active period of this kind overlaps these dates.")}
        )
    return name


@transaction.atomic
def create_period(
    *,
    organization: Organization,
    actor: Member | None,
    name: str,
    start: dt.date,
    end: dt.date,
    kind: str = PeriodKind.QUARTER,
    state: str = PeriodState.PLANNING,
) -> Period:
    name = _check_period(organization, name, start, end, None, kind=kind, state=state)
    if state == PeriodState.CLOSED:
        raise ValidationError({"state": _("Create it as planning or active; close it later.")})
    period = Period.objects.create(
        organization=organization, name=name, start=start, end=end, kind=kind, state=state
    )
    history.record(
        organization=organization,
        actor=actor,
        action=history.Action.CREATED,
        target_kind="period",
        target_uid=period.uid,
        target_label=period.name,
        changes={k: [None, v] for k, v in history.snapshot(period, PERIOD_FIELDS).items()},
    )
    return period


@transaction.atomic
def update_period(*, period: Period, actor: Member | None, **fields: Any) -> Period:
    unknown = set(fields) - set(PERIOD_FIELDS)
    if unknown:
        raise TypeError(f"unknown period fields: {sorted(unknown)}")
    name = _check_period(
        period.organization,
        fields.get("name", period.name),
        fields.get("start", period.start),
        fields.get("end", period.end),
        period,
        kind=fields.get("kind", period.kind),
        state=fields.get("state", period.state),
    )
    if "name" in fields:
        fields["name"] = name
    # The state as it is now, not as the caller read it: closing may have happened since.
    period.state = Period.objects.values_list("state", flat=True).get(pk=period.pk)
    new_state = fields.get("state", period.state)
    moved = {
        name
        for name in ("start", "end", "kind")
        if name in fields and fields[name] != getattr(period, name)
    }
    if period.state == PeriodState.CLOSED and moved:
        # Its coverage, calibration window and the period after it were settled at closing.
        raise ValidationError(
            {sorted(moved)[0]: _("A closed period keeps its dates and kind: reopen it first.")}
        )
    if new_state != period.state and PeriodState.CLOSED in (new_state, period.state):
        # Closing locks the period's OKRs and reopening needs a reason: both have their own
        # services (reporting.services), which keep the objectives' closed flags.
        raise ValidationError(
            {
                "state": _("Close a period from its checklist.")
                if new_state == PeriodState.CLOSED
                else _("Reopen a closed period from its checklist, with a reason.")
            }
        )
    before = history.snapshot(period, PERIOD_FIELDS)
    for key, value in fields.items():
        setattr(period, key, value)
    period.save(update_fields=list(fields))
    changes = history.diff(before, history.snapshot(period, PERIOD_FIELDS))
    if changes:
        history.record(
            organization=period.organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="period",
            target_uid=period.uid,
            target_label=period.name,
            changes=changes,
        )
    return period


@transaction.atomic
def delete_period(*, period: Period, actor: Member | None) -> None:
    if period.objectives.exists() or period.initiatives.exists():
        raise ValidationError(_("This period has objectives or initiatives; it cannot be deleted."))
    history.record(
        organization=period.organization,
        actor=actor,
        action=history.Action.DELETED,
        target_kind="period",
        target_uid=period.uid,
        target_label=period.name,
    )
    period.delete()


def create_next_quarter(
    *, organization: Organization, actor: Member | None, today: dt.date | None = None
) -> Period:
    """The quarter after the organization's latest quarter (or the current quarter if none)."""
    latest = (
        Period.objects.in_org(organization).filter(kind=PeriodKind.QUARTER).order_by("-end").first()
    )
    if latest is None:
        year, quarter = dates.quarter_of(today or dt.date.today())
    else:
        year, quarter = dates.next_quarter(*dates.quarter_of(latest.start))
    start, end = dates.quarter_bounds(year, quarter)
    return create_period(
        organization=organization,
        actor=actor,
        name=dates.quarter_name(year, quarter),
        start=start,
        end=end,
        kind=PeriodKind.QUARTER,
    )


ORGANIZATION_FIELDS = (
    "name",
    "time_zone",
    "week_start",
    "checkin_cadence",
    "checkin_weekday",
    "default_language",
    "achieved_threshold",
)


@transaction.atomic
def update_organization(
    *, organization: Organization, actor: Member | None, **fields: Any
) -> Organization:
    """Change an organization's settings; every change is recorded in its history."""
    unknown = set(fields) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown organization fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
        if not fields["name"]:
            errors["name"] = _("An organization needs a name.")
    if "time_zone" in fields and fields["time_zone"] not in zoneinfo.available_timezones():
        errors["time_zone"] = _("Choose a time zone from the list.")
    if "week_start" in fields:
        try:
            fields["week_start"] = int(fields["week_start"])
        except (TypeError, ValueError):
            fields["week_start"] = -1
        if fields["week_start"] not in Weekday.values:
            errors["week_start"] = _("Choose a day of the week.")
    if "checkin_weekday" in fields:
        try:
            fields["checkin_weekday"] = int(fields["checkin_weekday"])
        except (TypeError, ValueError):
            fields["checkin_weekday"] = -1
        if fields["checkin_weekday"] not in Weekday.values:
            errors["checkin_weekday"] = _("Choose a day of the week.")
    if "checkin_cadence" in fields and fields["checkin_cadence"] not in Cadence.values:
        errors["checkin_cadence"] = _("Choose weekly, every two weeks or monthly.")
    if "default_language" in fields and fields["default_language"] not in {
        code for code, _name in settings.LANGUAGES
    }:
        errors["default_language"] = _("Choose one of the available languages.")
    if "achieved_threshold" in fields:
        try:
            threshold = Decimal(str(fields["achieved_threshold"])).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            threshold = Decimal(-1)
        if not Decimal("0.01") <= threshold <= Decimal("1.00"):
            errors["achieved_threshold"] = _("Choose a score from 0.01 to 1.00.")
        fields["achieved_threshold"] = threshold
    if errors:
        raise ValidationError(errors)
    before = history.snapshot(organization, ORGANIZATION_FIELDS)
    for key, value in fields.items():
        setattr(organization, key, value)
    if fields:
        organization.save(update_fields=list(fields))
    changes = history.diff(before, history.snapshot(organization, ORGANIZATION_FIELDS))
    if changes:
        history.record(
            organization=organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="organization",
            target_uid=organization.uid,
            target_label=organization.name,
            changes=changes,
        )
    return organization


def update_my_settings(*, member: Member, reminder_emails: bool) -> Member:
    """A person's own preferences in one organization (no admin involved, so no history:
    it changes nothing anybody else sees)."""
    if member.reminder_emails != reminder_emails:
        member.reminder_emails = reminder_emails
        member.save(update_fields=["reminder_emails"])
    return member
