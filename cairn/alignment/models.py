"""Sideways alignment: one team asks another for something one of its OKRs needs."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cairn.okrs.models import (
    Initiative,
    KeyResult,
    Objective,
    follow_objective_and_key_result,
)
from cairn.orgs.models import Member, Organization, Team, new_uid


class DependencyState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    MADE_SHARED = "made_shared", _("Made a shared OKR")
    DEFERRED = "deferred", _("Deferred to next period")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A key result that leans on a dependency in one of these states counts on help nobody has
# promised for this period: it is over-optimistic.
UNACCEPTED_STATES = frozenset(
    {DependencyState.PROPOSED, DependencyState.DECLINED, DependencyState.DEFERRED}
)
# Still waiting for something to happen (shown in inboxes and as "open" in the sync view).
OPEN_STATES = frozenset({DependencyState.PROPOSED, DependencyState.ACCEPTED})


class DependencyQuerySet(models.QuerySet["Dependency"]):
    def in_org(self, organization: Organization) -> DependencyQuerySet:
        return self.filter(organization=organization)

    def visible_to(self, member: Member) -> DependencyQuerySet:
        """A dependency is as visible as the objective (and key result) it is raised from:
        the one gate decides, the providing team gets no second rule."""
        return follow_objective_and_key_result(self, member)

    def unanswered(self, now: dt.datetime, *, days: int = 7) -> DependencyQuerySet:
        """Still proposed and never answered, more than `days` after it was asked."""
        return self.filter(unanswered_q(now, days=days))


def unanswered_q(now: dt.datetime, *, days: int = 7) -> Q:
    """The rule of `DependencyQuerySet.unanswered`, to filter or annotate with."""
    return Q(
        state=DependencyState.PROPOSED,
        answered_at__isnull=True,
        asked_at__lt=now - dt.timedelta(days=days),
    )


class Dependency(models.Model):
    """Team `requesting_team` needs something from `providing_team` for an objective (or one
    of its key results): what, by when, and how the providing team answered."""

    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(
        Objective,
        verbose_name=_("objective"),
        on_delete=models.CASCADE,
        related_name="dependencies",
    )
    key_result = models.ForeignKey(
        KeyResult,
        verbose_name=_("key result"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dependencies",
    )
    requesting_team = models.ForeignKey(
        Team,
        verbose_name=_("requesting team"),
        on_delete=models.PROTECT,
        related_name="dependencies_out",
    )
    providing_team = models.ForeignKey(
        Team,
        verbose_name=_("providing team"),
        on_delete=models.PROTECT,
        related_name="dependencies_in",
    )
    need = models.TextField(_("what is needed"))
    due = models.DateField(_("needed by"), null=True, blank=True)
    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("providing team's initiative"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dependencies",
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=DependencyState.choices,
        default=DependencyState.PROPOSED,
    )
    created_by = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # When it was (last) asked and the providing team's first answer since: requests left
    # without one for more than a week are an alignment-health finding.
    asked_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = DependencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("dependency")
        verbose_name_plural = _("dependencies")
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=["organization", "objective"]),
            models.Index(fields=["providing_team", "state"]),
            models.Index(fields=["requesting_team", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(requesting_team=models.F("providing_team")),
                name="dependency_between_two_teams",
            )
        ]

    def __str__(self) -> str:
        return self.need[:60]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_unaccepted(self) -> bool:
        return self.state in UNACCEPTED_STATES


class DependencyEvent(models.Model):
    """The discussion thread: a comment, or a state change with the comment that explains it."""

    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    dependency = models.ForeignKey(Dependency, on_delete=models.CASCADE, related_name="events")
    author = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_state = models.CharField(max_length=16, choices=DependencyState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=DependencyState.choices, blank=True)
    comment = models.TextField(_("comment"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [models.Index(fields=["organization", "dependency"])]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}: {self.comment[:40]}"

    @property
    def is_state_change(self) -> bool:
        return bool(self.to_state)
