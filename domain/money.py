"""Money: Decimal amounts with two places, rounded half-up; never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(amount: Decimal | int | str) -> Decimal:
    """``amount`` rounded half-up to cents (``Decimal("2.345")`` -> ``Decimal("2.35")``)."""
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | int | str) -> str:
    """The wire form of money: a decimal string with exactly two places (``"360.00"``)."""
    return f"{quantize(amount):f}"
