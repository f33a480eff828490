"""Check-ins: dated, typed entries on a key result, and the reminders sent about them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cairn.okrs.models import (
    KeyResult,
    Objective,
    key_result_access_q,
    objective_private_access_q,
)
from cairn.orgs.models import Member, Organization, new_uid


class Outcome(models.TextChoices):
    DONE = "done", _("Done")
    PARTLY = "partly", _("Partly")
    NOT_DONE = "not_done", _("Not done")


class CheckInQuerySet(models.QuerySet["CheckIn"]):
    def in_org(self, organization: Organization) -> CheckInQuerySet:
        return self.filter(organization=organization)

    def visible_to(self, member: Member) -> CheckInQuerySet:
        """Check-ins follow their key result: the one gate decides, its rule applied through
        the check-in's key result (a join on its primary key), not as `key_result IN (every
        visible key result)`: SQLite builds that list in full, a scan of the organization's
        key results on every read, however few check-ins the rest of the query selects."""
        qs = self.filter(organization_id=member.organization_id)
        if member.is_admin:
            return qs
        return qs.filter(
            Q(key_result__organization_id=member.organization_id),
            key_result_access_q(member, prefix="key_result__"),
        )

    def live(self) -> CheckInQuerySet:
        return self.filter(deleted_at__isnull=True)

    def open_blockers(self) -> CheckInQuerySet:
        return self.live().filter(is_blocker=True, blocker_resolved_at__isnull=True)


class CheckIn(models.Model):
    """One check-in. Every section is optional, at least one is present (services check it).

    History is append-only: a correction keeps the earlier text in CheckInRevision, and a
    deletion leaves a tombstone (deleted_at / deleted_by) instead of removing the row.
    """

    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="check_ins")
    author = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="check_ins"
    )
    at = models.DateTimeField(_("checked in at"), default=timezone.now)

    # Progress: the new value and what changed / was learned.
    progress_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    progress_comment = models.TextField(blank=True)
    # Confidence 0-10, what is needed or in the way, what will reduce the risk.
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    confidence_needs = models.TextField(blank=True)
    confidence_mitigation = models.TextField(blank=True)
    # Next Up: the plan for the next one to two weeks, what and how, with a date.
    next_up_plan = models.TextField(blank=True)
    next_up_due = models.DateField(null=True, blank=True)
    # Reflection on the previous Next Up.
    reflects_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reflections"
    )
    reflection_outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    reflection_learned = models.TextField(blank=True)
    # Context: why it matters, today's baseline, the tactic for the period.
    context_why = models.TextField(blank=True)
    context_baseline = models.TextField(blank=True)
    context_tactic = models.TextField(blank=True)
    # Result (near and after the period's end): the final value, the score 0.0-1.0 (from
    # progress by okrs.progress.key_result_score unless the owner overrode it, with a
    # reason) and a short retrospective.
    result_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    result_score = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    result_score_overridden = models.BooleanField(default=False)
    result_override_reason = models.TextField(blank=True)
    result_worked = models.TextField(blank=True)
    result_did_not_work = models.TextField(blank=True)
    result_learned = models.TextField(blank=True)
    # Flags.
    is_insight = models.BooleanField(default=False)
    is_blocker = models.BooleanField(default=False)
    blocker_resolved_at = models.DateTimeField(null=True, blank=True)
    blocker_resolved_by = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    blocker_resolution = models.TextField(blank=True)
    # Corrections and tombstones.
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ("-at", "-id")
        indexes = [
            models.Index(fields=["key_result", "at"]),
            models.Index(fields=["organization", "at"]),
            models.Index(
                fields=["organization", "is_blocker"],
                condition=Q(is_blocker=True, blocker_resolved_at__isnull=True),
                name="checkin_open_blockers",
            ),
            models.Index(
                fields=["organization", "is_insight"],
                condition=Q(is_insight=True),
                name="checkin_insights",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__lte=10),
                name="checkin_confidence_0_10",
            ),
            models.CheckConstraint(
                condition=Q(result_score__isnull=True)
                | Q(result_score__gte=0, result_score__lte=1),
                name="checkin_result_score_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"check-in on {self.key_result_id} at {self.at:%Y-%m-%d}"

    @property
    def has_progress(self) -> bool:
        return self.progress_value is not None

    @property
    def has_confidence(self) -> bool:
        return self.confidence is not None

    @property
    def has_next_up(self) -> bool:
        return bool(self.next_up_plan)

    @property
    def has_reflection(self) -> bool:
        return bool(self.reflection_outcome)

    @property
    def has_context(self) -> bool:
        return bool(self.context_why or self.context_baseline or self.context_tactic)

    @property
    def has_result(self) -> bool:
        return self.result_score is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_open_blocker(self) -> bool:
        return self.is_blocker and self.blocker_resolved_at is None and not self.is_deleted


class CheckInRevision(models.Model):
    """The text of a check-in before a correction: corrections never rewrite silently."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    check_in = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="revisions")
    at = models.DateTimeField(default=timezone.now)
    editor = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    before = models.JSONField()

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"revision of {self.check_in_id} at {self.at:%Y-%m-%d %H:%M}"


class Reminder(models.Model):
    """One reminder or digest per person, kind and cadence window: the idempotency key of
    `cairn remind`. A row exists once the e-mail is queued; the task marks it sent."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Check-in reminder")
        DIGEST = "digest", _("Team lead digest")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    window_start = models.DateField()
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind", "window_start"], name="reminder_once_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.member_id} ({self.window_start})"


class SyncQuerySet(models.QuerySet["Sync"]):
    def in_org(self, organization: Organization) -> SyncQuerySet:
        return self.filter(organization=organization)

    def visible_to(self, member: Member) -> SyncQuerySet:
        """A sync's notes are as visible as its objective."""
        qs = self.filter(organization_id=member.organization_id)
        if member.is_admin:
            return qs
        # Through the sync's objective, as `CheckInQuerySet.visible_to`.
        return qs.filter(
            Q(objective__organization_id=member.organization_id),
            objective_private_access_q(member, prefix="objective__"),
        )


class Sync(models.Model):
    """A recorded sync meeting of an objective's owning teams (a shared OKR's regular
    meeting): when, who was there, notes, and when the next one is."""

    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="syncs")
    held_on = models.DateField(_("held on"))
    attendees = models.ManyToManyField(
        Member, verbose_name=_("attendees"), related_name="syncs_attended", blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    next_sync_on = models.DateField(_("next sync"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SyncQuerySet.as_manager()

    class Meta:
        verbose_name = _("sync")
        verbose_name_plural = _("syncs")
        ordering = ("-held_on", "-created_at", "-id")
        indexes = [models.Index(fields=["organization", "objective", "held_on"])]

    def __str__(self) -> str:
        return f"{self.objective_id} synced on {self.held_on}"
