"""Webhook pages in the organization's settings, mounted at /o/<org>/."""

from django.urls import path

from cairn.notifications import views

app_name = "notifications"

urlpatterns = [
    path("settings/webhooks/", views.webhook_list, name="webhooks"),
    path("settings/webhooks/new/", views.webhook_create, name="webhook_create"),
    path("settings/webhooks/<uuid:webhook>/", views.webhook_detail, name="webhook"),
    path("settings/webhooks/<uuid:webhook>/test/", views.webhook_test, name="webhook_test"),
    path("settings/webhooks/<uuid:webhook>/enable/", views.webhook_enable, name="webhook_enable"),
    path("settings/webhooks/<uuid:webhook>/delete/", views.webhook_delete, name="webhook_delete"),
]
