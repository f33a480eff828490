from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.formats import number_format

from cairn.lib.numbers import tidy

register = template.Library()


@register.filter
def number(value: Any) -> str:
    """A key result's value, localized with grouping and no needless decimals."""
    if value is None or value == "":
        return ""
    try:
        tidied = tidy(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)
    return number_format(tidied, force_grouping=True)
