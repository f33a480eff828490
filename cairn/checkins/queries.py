"""Reads for check-in pages, always through the gate (`CheckIn.objects.visible_to`)."""

from __future__ import annotations

import datetime as dt

from cairn.lib import rhythm
from cairn.okrs.models import KeyResult
from cairn.orgs.models import Organization


def staleness_of(
    key_result: KeyResult, organization: Organization, today: dt.date
) -> rhythm.Staleness:
    """The one staleness rule, fed from the key result's roll-ups (no query)."""
    last = key_result.last_check_in_at
    return rhythm.staleness(
        today=today,
        cadence=organization.checkin_cadence,
        week_start=organization.week_start,
        last_check_in=last.date() if last else None,
        created=key_result.created_at.date(),
        next_up_due=key_result.next_up_due,
    )
