"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


dependency_list = objective_dependencies = dependency_new = dependency_detail = _todo
dependency_edit = dependency_move = dependency_comment = team_dependencies = _todo
