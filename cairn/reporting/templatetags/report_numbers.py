"""Numbers of the period report and the calibration page, localized."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(value: Any) -> str:
    """A share in [0, 1] as a whole percentage ("73%"); a dash for nothing."""
    if value is None or value == "":
        return "—"
    return _("%(value)s%%") % {"value": number_format(round(float(value) * 100))}


@register.filter
def score(value: Any) -> str:
    """A score or a Brier score with two decimals; a dash for nothing."""
    if value is None or value == "":
        return "—"
    return number_format(round(float(value), 2), decimal_pos=2)
