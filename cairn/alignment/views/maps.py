"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


alignment_map = alignment_health = team_alignment = _todo
