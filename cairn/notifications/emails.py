"""Rendering and sending Cairn's e-mails.

Every e-mail is multipart (a plain-text body with an HTML alternative), rendered from
templates in the recipient organization's language and time zone, with absolute links built
from `CAIRN_BASE_URL` (e-mails are rendered by the worker, outside any request).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cairn.orgs.models import Organization


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def absolute_url(path: str) -> str:
    """`path` (as `reverse` returns it) on the public address of this Cairn."""
    base = str(getattr(settings, "CAIRN_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{base}/{path.lstrip('/')}"


def organization_zone(organization: Organization) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(organization.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def organization_language(organization: Organization) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    language = (organization.default_language or "").lower()
    return language if language in known else settings.LANGUAGE_CODE


def render(
    *, template: str, organization: Organization, context: Mapping[str, Any]
) -> RenderedEmail:
    """Render `<template>_subject.txt`, `<template>.txt` and `<template>.html` in the
    organization's language and time zone."""
    full_context = {
        "organization": organization,
        "base_url": absolute_url("/"),
        **context,
    }
    with (
        translation.override(organization_language(organization)),
        timezone.override(organization_zone(organization)),
    ):
        subject = str(render_to_string(f"{template}_subject.txt", full_context))
        text = str(render_to_string(f"{template}.txt", full_context))
        html = str(render_to_string(f"{template}.html", full_context))
    # A header cannot hold a line break; templates end with one.
    return RenderedEmail(subject=" ".join(subject.split()), text=_tidy(text), html=html)


def _tidy(text: str) -> str:
    """Template tags leave runs of blank lines in plain text; keep at most one."""
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line and (not lines or not lines[-1]):
            continue
        lines.append(line)
    return "\n".join(lines).strip() + "\n"


def send(*, to: str, email: RenderedEmail) -> None:
    """Send one rendered e-mail through Django's configured backend (raises on failure, so
    that the task that calls this is recorded as failed and can be run again)."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(email.html, "text/html")
    message.send(fail_silently=False)
