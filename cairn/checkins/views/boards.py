"""The rhythm pages: the inbox ("My week"), the blockers board and the insights library."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
