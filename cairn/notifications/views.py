"""Webhook pages in the organization's settings: list, register (the secret shown once),
delivery log, send a test event, switch back on, delete. Admins only: others get a 403, and
anyone outside the organization a 404 (the gate in `org_view`).

Every view has one shape: gate → form → service → redirect, or for htmx the refreshed
fragment of the same template.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cairn.lib.htmx import render_page
from cairn.notifications import services
from cairn.notifications.forms import WebhookForm
from cairn.notifications.models import WebhookEndpoint
from cairn.notifications.queries import endpoint_for
from cairn.orgs.access import org_view, require_admin
from cairn.orgs.forms import attach_errors
from cairn.orgs.models import Member

LOG_PAGE_SIZE = 50


def _context(member: Member, **extra: Any) -> dict[str, Any]:
    return {"member": member, "org_slug": member.organization.slug, "nav": "settings", **extra}


@org_view
def webhook_list(request: HttpRequest, member: Member) -> HttpResponse:
    require_admin(member)
    endpoints = (
        WebhookEndpoint.objects.in_org(member.organization)
        .select_related("owner__user")
        .order_by("created_at", "id")
    )
    return render(request, "notifications/webhooks.html", _context(member, endpoints=endpoints))


@org_view
def webhook_create(request: HttpRequest, member: Member) -> HttpResponse:
    require_admin(member)
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            endpoint, secret = services.create_endpoint(actor=member, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            # Rendered, not redirected: this response is the only place the secret appears.
            response = render(
                request,
                "notifications/webhook_created.html",
                _context(member, endpoint=endpoint, secret=secret),
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "notifications/webhook_form.html", _context(member, form=form))


@org_view
def webhook_detail(request: HttpRequest, member: Member, webhook: uuid.UUID) -> HttpResponse:
    endpoint = endpoint_for(member, webhook)
    deliveries = endpoint.deliveries.order_by("-created_at", "-id")
    page = Paginator(deliveries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    context = _context(member, endpoint=endpoint, page=page)
    return render_page(request, "notifications/webhook.html", context, fragment="log")


@org_view
@require_POST
def webhook_test(request: HttpRequest, member: Member, webhook: uuid.UUID) -> HttpResponse:
    endpoint = endpoint_for(member, webhook)
    try:
        services.send_test_event(endpoint=endpoint, actor=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Test event queued: it appears in the log below once it is sent.")
        )
    return redirect("notifications:webhook", member.organization.slug, endpoint.uid)


@org_view
@require_POST
def webhook_enable(request: HttpRequest, member: Member, webhook: uuid.UUID) -> HttpResponse:
    endpoint = endpoint_for(member, webhook)
    services.enable_endpoint(endpoint=endpoint, actor=member)
    messages.success(request, _("Webhook switched on again."))
    return redirect("notifications:webhook", member.organization.slug, endpoint.uid)


@org_view
def webhook_delete(request: HttpRequest, member: Member, webhook: uuid.UUID) -> HttpResponse:
    endpoint = endpoint_for(member, webhook)
    if request.method != "POST":
        return render(
            request, "notifications/webhook_delete.html", _context(member, endpoint=endpoint)
        )
    url = endpoint.url
    services.delete_endpoint(endpoint=endpoint, actor=member)
    messages.success(request, _("Webhook to %(url)s deleted.") % {"url": url})
    return redirect("notifications:webhooks", member.organization.slug)
