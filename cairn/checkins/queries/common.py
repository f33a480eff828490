"""What the check-in pages share: a check-in's words and the staleness rule."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy

from cairn.checkins.models import CheckIn
from cairn.lib import rhythm
from cairn.okrs.models import KeyResult
from cairn.orgs.models import Organization

# A check-in's words, in the order a reader of a blocker or an insight wants them.
TEXT_SECTIONS = (
    ("confidence_needs", gettext_lazy("Needed or in the way")),
    ("confidence_mitigation", gettext_lazy("To reduce the risk")),
    ("progress_comment", gettext_lazy("Progress")),
    ("reflection_learned", gettext_lazy("Learned")),
    ("next_up_plan", gettext_lazy("Next Up")),
    ("context_why", gettext_lazy("Why it matters")),
    ("context_baseline", gettext_lazy("Baseline")),
    ("context_tactic", gettext_lazy("Tactic")),
    ("result_worked", gettext_lazy("What worked")),
    ("result_did_not_work", gettext_lazy("What did not work")),
    ("result_learned", gettext_lazy("What we learned")),
    ("result_override_reason", gettext_lazy("Why the score was overridden")),
)


def check_in_texts(check_in: CheckIn) -> list[tuple[str, str]]:
    """The check-in's non-empty text sections as (label, text)."""
    return [
        (str(label), text) for name, label in TEXT_SECTIONS if (text := getattr(check_in, name))
    ]


def staleness_of(
    key_result: KeyResult, organization: Organization, today: dt.date
) -> rhythm.Staleness:
    """The one staleness rule, fed from the key result's roll-ups (no query)."""
    return rhythm.staleness_for(key_result, organization, today)
