"""Objectives, key results, initiatives and vertical alignment links."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cairn.okrs import progress as progress_maths
from cairn.orgs.access import team_ids_of
from cairn.orgs.models import Member, Organization, Period, Team, new_uid


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class ObjectiveQuerySet(models.QuerySet["Objective"]):
    def in_org(self, organization: Organization) -> ObjectiveQuerySet:
        return self.filter(organization=organization)

    def visible_to(self, member: Member) -> ObjectiveQuerySet:
        """The objectives `member` may see: the one rule behind every list, count and lookup."""
        qs = self.filter(organization_id=member.organization_id)
        if member.is_admin:
            return qs
        return qs.filter(objective_private_access_q(member))


def _teams_of(member: Member) -> set[int]:
    """The teams whose private items `member` may see: `access.team_ids_of` (membership or
    lead), the set that decides edit rights, so that nobody can edit what they cannot see.
    Read once per member and inlined as a list: a nested subquery in every gate would cost
    each query more to build and to plan than the one read."""
    return team_ids_of(member)


def _in_teams_of(member: Member, ref: OuterRef) -> Q:
    """'An owning team of the objective `ref` is one of `member`'s teams', or nothing."""
    teams = _teams_of(member)
    if not teams:
        return Q(pk__in=[])
    return Q(Exists(ObjectiveTeam.objects.filter(objective=ref, team_id__in=sorted(teams))))


def objective_private_access_q(member: Member, prefix: str = "") -> Q:
    """Q over Objective (or, with `prefix`, a relation to it) for 'public or member may see'."""
    ref = OuterRef(f"{prefix}id") if prefix else OuterRef("pk")
    shared = Objective.shared_with.through.objects.filter(objective=ref, member=member)
    return (
        Q(**{f"{prefix}visibility": Visibility.PUBLIC})
        | Q(**{f"{prefix}owner_person": member})
        | _in_teams_of(member, ref)
        | Q(Exists(shared))
    )


class Objective(models.Model):
    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="objectives"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner_person = models.ForeignKey(
        Member,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_objectives",
    )
    owner_teams: models.ManyToManyField[Team, ObjectiveTeam] = models.ManyToManyField(
        Team,
        through="ObjectiveTeam",
        verbose_name=_("owning teams"),
        related_name="objectives",
        blank=True,
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    shared_with = models.ManyToManyField(
        Member, verbose_name=_("shared with"), related_name="objectives_shared_with_me", blank=True
    )
    # How often the owning teams meet to sync on it (a shared OKR's regular meeting): the
    # next sync is set this many days after a recorded one.
    sync_cadence_days = models.PositiveSmallIntegerField(_("sync every (days)"), default=14)
    # Set when its period closes (or every owning team closes the period for its own OKRs):
    # from then on it and its key results are read-only. Kept by reporting.services in the
    # closing transaction so that every write path checks one column.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Carried over from an objective of an earlier period; `continued_into` is the way back.
    continued_from = models.ForeignKey(
        "self",
        verbose_name=_("continued from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="continued_into",
    )
    created_by = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ObjectiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=["organization", "period", "visibility"]),
            # A period's objectives oldest first, a page at a time ("All objectives"): read in
            # order from the index, not all sorted to show fifty.
            models.Index(
                fields=["organization", "period", "created_at", "id"],
                name="okrs_objective_period_order",
            ),
            # Few objectives are carried over: with their NULLs counted in, the column's
            # statistics make the plain index look useless to SQLite, which then scans every
            # objective to find what continues this one (its page asks on every view).
            models.Index(
                fields=["continued_from"],
                condition=Q(continued_from__isnull=False),
                name="okrs_objective_continued",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_private(self) -> bool:
        return self.visibility == Visibility.PRIVATE

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class ObjectiveTeam(models.Model):
    """An owning team of an objective; two or more make it a shared OKR."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="team_links")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="objective_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["objective", "team"], name="objective_team_unique")
        ]
        indexes = [models.Index(fields=["team", "objective"])]

    def __str__(self) -> str:
        return f"{self.team_id} owns {self.objective_id}"


class KeyResultKind(models.TextChoices):
    METRIC = "metric", _("Metric")
    PERCENTAGE = "percentage", _("Percentage")
    MILESTONE = "milestone", _("Milestone (done / not done)")


class Direction(models.TextChoices):
    UP = "up", _("Increase to target")
    DOWN = "down", _("Decrease to target")


class KeyResultQuerySet(models.QuerySet["KeyResult"]):
    def in_org(self, organization: Organization) -> KeyResultQuerySet:
        return self.filter(organization=organization)

    def visible_to(self, member: Member) -> KeyResultQuerySet:
        qs = self.filter(organization_id=member.organization_id)
        if member.is_admin:
            return qs
        return qs.filter(key_result_access_q(member))


def key_result_access_q(member: Member, prefix: str = "") -> Q:
    """Q over KeyResult (or, with `prefix`, a relation to it) for 'member may see it': its
    objective is visible to them, and it is public, theirs, on their objective or their
    team's, or shared with them."""
    ref = OuterRef(f"{prefix}id") if prefix else OuterRef("pk")
    shared = KeyResult.shared_with.through.objects.filter(keyresult=ref, member=member)
    return objective_private_access_q(member, prefix=f"{prefix}objective__") & (
        Q(**{f"{prefix}visibility": Visibility.PUBLIC})
        | Q(**{f"{prefix}owner": member})
        | Q(**{f"{prefix}objective__owner_person": member})
        | _in_teams_of(member, OuterRef(f"{prefix}objective_id"))
        | Q(Exists(shared))
    )


class KeyResult(models.Model):
    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        Member,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_key_results",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=KeyResultKind.choices, default=KeyResultKind.METRIC
    )
    start_value = models.DecimalField(_("start"), max_digits=18, decimal_places=4, default=0)
    target_value = models.DecimalField(_("target"), max_digits=18, decimal_places=4, default=100)
    current_value = models.DecimalField(
        _("current value"), max_digits=18, decimal_places=4, default=0
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    direction = models.CharField(
        _("direction"), max_length=4, choices=Direction.choices, default=Direction.UP
    )
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2, default=Decimal(1))
    position = models.PositiveIntegerField(default=0)
    # The current Context (why it matters, baseline, tactic). Written at creation and by
    # every Context check-in; a material change marks it out of date until the next one.
    context_why = models.TextField(_("why it matters"), blank=True)
    context_baseline = models.TextField(_("today's baseline"), blank=True)
    context_tactic = models.TextField(_("tactic for the period"), blank=True)
    context_outdated = models.BooleanField(_("context out of date"), default=False)
    # Roll-ups of the check-ins, updated in the check-in's own transaction so that lists
    # never need a query per key result.
    confidence = models.PositiveSmallIntegerField(_("confidence"), null=True, blank=True)
    last_check_in_at = models.DateTimeField(_("last check-in"), null=True, blank=True)
    next_up_due = models.DateField(_("next up due"), null=True, blank=True)
    open_blockers = models.PositiveIntegerField(_("open blockers"), default=0)
    # Dependencies this key result leans on that the providing team has not accepted
    # (proposed, declined, deferred): kept by the alignment services in the same transaction
    # as the state change, so every list can flag it over-optimistic without a query.
    unaccepted_dependencies = models.PositiveIntegerField(_("unaccepted dependencies"), default=0)
    # When the kind last changed: progress recorded before it is on another scale and no
    # longer counts towards the current value.
    scale_changed_at = models.DateTimeField(null=True, blank=True)
    # The Result: the score (0.0-1.0) of the latest check-in with a Result section, kept in
    # that check-in's transaction (computed from progress, or the owner's override).
    score = models.DecimalField(_("score"), max_digits=3, decimal_places=2, null=True, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    # When start, target, kind or direction last changed after a Result: Results recorded
    # before it scored another key result and no longer count (record the Result again).
    score_reset_at = models.DateTimeField(null=True, blank=True)
    continued_from = models.ForeignKey(
        "self",
        verbose_name=_("continued from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="continued_into",
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    shared_with = models.ManyToManyField(
        Member,
        verbose_name=_("shared with"),
        related_name="key_results_shared_with_me",
        blank=True,
    )
    created_by = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = KeyResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("key result")
        verbose_name_plural = _("key results")
        ordering = ("position", "created_at", "id")
        indexes = [
            models.Index(fields=["organization", "objective"]),
            # As for objectives: what continues a key result, without a scan of all of them.
            models.Index(
                fields=["continued_from"],
                condition=Q(continued_from__isnull=False),
                name="okrs_keyresult_continued",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(start_value=models.F("target_value")),
                name="key_result_start_differs_from_target",
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="key_result_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_private(self) -> bool:
        return self.visibility == Visibility.PRIVATE

    @property
    def is_done(self) -> bool:
        return self.kind == KeyResultKind.MILESTONE and self.current_value >= self.target_value

    @property
    def is_over_optimistic(self) -> bool:
        """It leans on a dependency another team has not accepted (the alignment text's
        warning: a plan that counts on help nobody promised)."""
        return self.unaccepted_dependencies > 0

    @property
    def has_context(self) -> bool:
        return bool(self.context_why or self.context_baseline or self.context_tactic)

    @property
    def progress(self) -> float:
        return progress_maths.key_result_progress(
            start=float(self.start_value),
            target=float(self.target_value),
            current=float(self.current_value),
        )


class InitiativeState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DEFERRED = "deferred", _("Deferred")


class InitiativeQuerySet(models.QuerySet["Initiative"]):
    def in_org(self, organization: Organization) -> InitiativeQuerySet:
        return self.filter(organization=organization)

    def visible_to(self, member: Member) -> InitiativeQuerySet:
        """Initiatives follow what they move: hidden when their objective or key result is."""
        return follow_objective_and_key_result(self, member)


_Q = TypeVar("_Q", bound=models.QuerySet[Any])


def follow_objective_and_key_result(qs: _Q, member: Member) -> _Q:
    """Rows with an `objective` and an optional `key_result` (initiatives, dependencies) are
    as visible as both: the one rule, written once."""
    qs = qs.filter(organization_id=member.organization_id)
    if member.is_admin:
        return qs
    # The gate's own conditions on the row's objective and key result, not `objective IN
    # (every visible objective)`: SQLite builds such a list in full, a scan of the
    # organization's objectives and key results on every read, however few rows the rest of
    # the query selects.
    org = member.organization_id
    return qs.filter(
        Q(objective__organization_id=org) & objective_private_access_q(member, prefix="objective__")
    ).filter(
        Q(key_result__isnull=True)
        | (Q(key_result__organization_id=org) & key_result_access_q(member, prefix="key_result__"))
    )


class Initiative(models.Model):
    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="initiatives")
    objective = models.ForeignKey(
        Objective,
        verbose_name=_("objective"),
        on_delete=models.CASCADE,
        related_name="initiatives",
    )
    key_result = models.ForeignKey(
        KeyResult,
        verbose_name=_("key result"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="initiatives",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="initiatives"
    )
    owner = models.ForeignKey(
        Member,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_initiatives",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=InitiativeState.choices, default=InitiativeState.PLANNED
    )
    due = models.DateField(_("due"), null=True, blank=True)
    continued_from = models.ForeignKey(
        "self",
        verbose_name=_("continued from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="continued_into",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = InitiativeQuerySet.as_manager()

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=["organization", "objective"]),
            models.Index(fields=["team", "period"]),
        ]

    def __str__(self) -> str:
        return self.title


class AlignmentQuerySet(models.QuerySet["Alignment"]):
    def in_org(self, organization: Organization) -> AlignmentQuerySet:
        return self.filter(organization=organization)


class Alignment(models.Model):
    """Vertical alignment: `child` contributes to a parent objective or a parent key result."""

    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    child = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="alignments_up")
    parent_objective = models.ForeignKey(
        Objective,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alignments_down",
    )
    parent_key_result = models.ForeignKey(
        KeyResult,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alignments_down",
    )
    created_by = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AlignmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(parent_objective__isnull=False, parent_key_result__isnull=True)
                    | Q(parent_objective__isnull=True, parent_key_result__isnull=False)
                ),
                name="alignment_exactly_one_parent",
            ),
            models.UniqueConstraint(
                fields=["child", "parent_objective"],
                condition=Q(parent_objective__isnull=False),
                name="alignment_unique_objective_parent",
            ),
            models.UniqueConstraint(
                fields=["child", "parent_key_result"],
                condition=Q(parent_key_result__isnull=False),
                name="alignment_unique_key_result_parent",
            ),
        ]
        indexes = [models.Index(fields=["organization", "child"])]

    def __str__(self) -> str:
        return f"{self.child_id} → {self.parent_objective_id or self.parent_key_result_id}"

    def parent_objective_id_effective(self) -> int:
        """The objective this link points into (a key result's objective for KR parents)."""
        if self.parent_objective_id is not None:
            return self.parent_objective_id
        assert self.parent_key_result is not None
        return self.parent_key_result.objective_id
