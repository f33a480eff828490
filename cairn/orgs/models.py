"""The tenant and who is in it: Organization, User, Member, Team, Period, and the history log."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cairn.lib.rhythm import local_date


def new_uid() -> uuid.UUID:
    return uuid.uuid4()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who can sign in. Membership of organizations is on Member."""

    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")


slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Use 1-50 lower-case letters, digits and hyphens, not starting or ending with a hyphen."),
)


class Organization(models.Model):
    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    slug = models.CharField(_("slug"), max_length=50, unique=True, validators=[slug_validator])
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    week_start = models.PositiveSmallIntegerField(
        _("week starts on"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    checkin_cadence = models.CharField(
        _("check-in cadence"), max_length=16, choices=Cadence.choices, default=Cadence.WEEKLY
    )
    checkin_weekday = models.PositiveSmallIntegerField(
        _("check-ins are due on"), choices=Weekday.choices, default=Weekday.FRIDAY
    )
    default_language = models.CharField(_("default language"), max_length=8, default="en")
    # A key result counts as achieved at this score or above: the outcome that confidence
    # check-ins are scored against in the calibration report.
    achieved_threshold = models.DecimalField(
        _("achieved at score"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.70"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1.00"))],
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def today(self) -> dt.date:
        """Today on the organization's calendar: periods and check-in days end at its
        midnight, not the server's."""
        return local_date(timezone.now(), self.time_zone)


class OrgQuerySet(models.QuerySet[Any]):
    """Tenant scoping shared by every tenant-owned model: one filter on an indexed column."""

    def in_org(self, organization: Organization) -> OrgQuerySet:
        return self.filter(organization=organization)


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer (read-only)")


class Member(models.Model):
    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    reminder_emails = models.BooleanField(_("check-in reminder e-mails"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="member_unique_per_org")
        ]

    def __str__(self) -> str:
        return self.user.display_name

    @property
    def name(self) -> str:
        return self.user.display_name

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_write(self) -> bool:
        return self.is_active and self.role in (Role.ADMIN, Role.MEMBER)


class Team(models.Model):
    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    lead = models.ForeignKey(
        Member,
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )
    members: models.ManyToManyField[Member, TeamMembership] = models.ManyToManyField(
        Member, through="TeamMembership", related_name="teams", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="team_name_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="team_memberships")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "member"], name="team_membership_unique")
        ]
        indexes = [models.Index(fields=["member", "team"])]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.team_id}"


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")
    CUSTOM = "custom", _("Custom")


class PeriodState(models.TextChoices):
    PLANNING = "planning", _("Planning")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Period(models.Model):
    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="periods")
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(
        _("kind"), max_length=16, choices=PeriodKind.choices, default=PeriodKind.QUARTER
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    state = models.CharField(
        _("state"), max_length=16, choices=PeriodState.choices, default=PeriodState.PLANNING
    )
    # Who closed the whole period and when (state is then CLOSED); cleared on reopening, the
    # history keeps both.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        "Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ("start", "end")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="period_name_unique"),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="period_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def encloses(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def contains_day(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def following(self) -> Period | None:
        """The next period of the same kind: the one deferred work moves to (None when it
        has not been created yet)."""
        return (
            Period.objects.filter(
                organization_id=self.organization_id, kind=self.kind, start__gt=self.end
            )
            .order_by("start", "end")
            .first()
        )


class TeamClosure(models.Model):
    """A team lead closed a period for the team's own OKRs: the objectives every owning team
    of which has closed are read-only, before (or without) the whole period closing."""

    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="team_closures")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="closures")
    closed_at = models.DateTimeField(_("closed at"), default=timezone.now)
    closed_by = models.ForeignKey(
        "Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("team closure")
        verbose_name_plural = _("team closures")
        constraints = [models.UniqueConstraint(fields=["period", "team"], name="team_closure_once")]

    def __str__(self) -> str:
        return f"{self.team_id} closed {self.period_id}"


class HistoryEvent(models.Model):
    """One append-only log of what happened to objectives, key results, initiatives, teams and
    memberships: who, when, and which fields went from what to what.

    The target is named by kind and uid rather than a foreign key so that the history of a
    deleted item stays readable.
    """

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("changed")
        DELETED = "deleted", _("deleted")
        ADDED = "added", _("added")
        REMOVED = "removed", _("removed")

    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    target_kind = models.CharField(max_length=32)
    target_uid = models.UUIDField()
    target_label = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=["organization", "target_kind", "target_uid", "at"])]

    def __str__(self) -> str:
        return f"{self.target_kind} {self.target_label} {self.action}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token: acts as one member of one organization (role and visibility
    included). Only a SHA-256 hash is stored; the token itself is shown once."""

    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    # The first characters, shown in lists so that a person can tell their tokens apart.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(_("read-only"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["organization", "member"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
