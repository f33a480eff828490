from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cairn.orgs.models import Member


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Send a signed-in person to the organization they belong to (or the first of several)."""
    memberships = list(
        Member.objects.filter(user=request.user, is_active=True)  # type: ignore[misc]
        .select_related("organization")
        .order_by("organization__name")
    )
    if len(memberships) == 1:
        return redirect("okrs:home", org=memberships[0].organization.slug)
    return render(request, "orgs/start.html", {"memberships": memberships})
