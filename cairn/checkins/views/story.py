"""The key result page (its story: chart, confidence trend, timeline) and writing check-ins."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
