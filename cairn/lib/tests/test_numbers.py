from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cairn.lib.numbers import tidy


def test_tidy_drops_trailing_zeros_and_exponents() -> None:
    assert str(tidy(Decimal("500000.0000"))) == "500000"
    assert str(tidy(Decimal("2.1000"))) == "2.1"
    assert str(tidy(Decimal("0E-4"))) == "0"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False))
def test_tidy_keeps_the_value(value: Decimal) -> None:
    assert tidy(value) == value
    assert "E" not in str(tidy(value))
