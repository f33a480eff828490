"""Outbound webhooks: the endpoints admins register and the log of every delivery to them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cairn.okrs.models import KeyResult
from cairn.orgs.models import Member, Organization, new_uid


class WebhookEndpointQuerySet(models.QuerySet["WebhookEndpoint"]):
    def in_org(self, organization: Organization) -> WebhookEndpointQuerySet:
        return self.filter(organization=organization)

    def listening(self, organization: Organization) -> WebhookEndpointQuerySet:
        """Endpoints that receive events now: switched on, with an owner who is still in."""
        return self.filter(
            organization=organization,
            is_active=True,
            owner__is_active=True,
            owner__user__is_active=True,
        )


class WebhookEndpoint(models.Model):
    """A URL an admin registered to receive signed events of their organization.

    Events go out with the visibility of `owner`: an event about something the owner may not
    see is not sent here. The secret must be recoverable to sign each request, so it is
    stored as it is (like the database password in the environment) and shown once.
    """

    uid = models.UUIDField(default=new_uid, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        Member, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=120, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    event_types = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("why it was switched off"), max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Deliveries in a row that ended failed (gave up), reset by any success.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ("created_at", "id")
        indexes = [models.Index(fields=["organization", "is_active"])]

    def __str__(self) -> str:
        return self.url

    def listens_to(self, event: str) -> bool:
        return event in (self.event_types or [])


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Gave up")


class WebhookDeliveryQuerySet(models.QuerySet["WebhookDelivery"]):
    def in_org(self, organization: Organization) -> WebhookDeliveryQuerySet:
        return self.filter(organization=organization)

    def open(self) -> WebhookDeliveryQuerySet:
        """Not delivered and not given up: waiting for its first attempt or a retry."""
        return self.filter(status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED))


class WebhookDelivery(models.Model):
    """One event for one endpoint, and how sending it went. `payload` is the whole JSON body,
    fixed when the event happened, so that every attempt sends the same bytes."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.endpoint_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class StaleMark(models.Model):
    """A key result announced as stale (`key_result.became_stale`): the event goes out once
    when it turns stale, and again only after it was fresh in between (the mark is removed
    when it is no longer stale)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key_result = models.OneToOneField(KeyResult, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization"])]

    def __str__(self) -> str:
        return f"stale {self.key_result_id}"
