"""Who is calling: a personal API token (Bearer) or a browser session (with CSRF).

Either way the request ends up with `request.member` — one member of one organization — and
everything after that goes through the same gate as the web UI (`cairn.orgs.access`).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from cairn.orgs.models import Member
from cairn.orgs.tokens import member_for_token

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ORGANIZATION_HEADER = "X-Cairn-Organization"


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class ReadOnlyToken(Exception):
    pass


class NoOrganization(Exception):
    pass


class CsrfFailed(Exception):
    pass


def _clock() -> float:
    return time.time()


def _rate_limit(key: str) -> None:
    """A fixed one-minute window per token (or session): simple, and enough to stop a runaway
    script. Counted in Django's cache (per process unless a shared cache is configured)."""
    per_minute: int = getattr(settings, "CAIRN_API_RATE_PER_MINUTE", 600)
    if per_minute <= 0:
        return
    now = _clock()
    window = int(now // 60)
    cache_key = f"cairn-api-rate:{key}:{window}"
    if cache.add(cache_key, 1, timeout=70):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:
            cache.set(cache_key, 1, timeout=70)
            count = 1
    if count > per_minute:
        raise RateLimited(retry_after=max(1, 60 - int(now % 60)))


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Member | None:
        found = member_for_token(token)
        if found is None:
            # A Bearer header that is present but wrong is a 401 even when a session cookie
            # rides along: a script must learn its token is bad, not silently act as a person.
            raise AuthenticationError
        api_token, member = found
        _rate_limit(f"t{api_token.pk}")
        if api_token.read_only and request.method in WRITE_METHODS:
            raise ReadOnlyToken
        request.member = member  # type: ignore[attr-defined]
        request.api_token = api_token  # type: ignore[attr-defined]
        return member


class MemberSessionAuth(SessionAuth):
    """A signed-in browser. The organization comes from the `X-Cairn-Organization` header (or
    `?org=`) when the person belongs to several; with one membership it is that one."""

    def __call__(self, request: HttpRequest) -> Member | None:
        # ninja would check CSRF before knowing whether anyone is signed in, turning a POST
        # without any credentials into a CSRF 403; without a session it is a plain 401.
        if not request.user.is_authenticated:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise CsrfFailed
        return self.authenticate(request, None)

    def authenticate(self, request: HttpRequest, key: Any) -> Member | None:
        user = request.user
        if not user.is_authenticated:
            return None
        slug = request.headers.get(ORGANIZATION_HEADER) or request.GET.get("org")
        members = Member.objects.select_related("organization", "user").filter(
            user=user, is_active=True
        )
        if slug:
            members = members.filter(organization__slug=slug)
        found = list(members[:2])
        if not found:
            if slug:
                # Not a member there (or no such organization): the same 404 either way.
                raise Http404
            return None
        if len(found) > 1:
            raise NoOrganization
        member = found[0]
        _rate_limit(f"s{member.pk}")
        request.member = member  # type: ignore[attr-defined]
        return member


def member_of(request: HttpRequest) -> Member:
    member: Member = request.member  # type: ignore[attr-defined]
    return member
