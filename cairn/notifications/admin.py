from django.contrib import admin
from django.http import HttpRequest

from cairn.notifications.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "organization", "owner", "is_active", "consecutive_failures")
    list_filter = ("organization", "is_active")
    raw_id_fields = ("owner",)
    # The signing secret is shown once, to the admin who created the endpoint; not here.
    exclude = ("secret",)
    readonly_fields = ("organization", "disabled_at", "consecutive_failures")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Endpoints are registered in Cairn's settings pages, which make their secret.
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event_type", "endpoint", "status", "attempts", "last_response_code")
    list_filter = ("organization", "status", "event_type")
    raw_id_fields = ("endpoint",)
    readonly_fields = ("organization", "event_id", "payload", "created_at")
