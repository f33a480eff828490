"""Numbers as people write them: 500000, 2.1 — not 500000.0000 or 5E+5."""

from __future__ import annotations

from decimal import Decimal


def tidy(value: Decimal | int | float) -> Decimal:
    """The same value without trailing zeros and without an exponent."""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()
