"""Percentages as the bulletin prints them: computed exactly (``Decimal``) and rounded half-up, i.e. halves away
from zero, also for a negative month-over-month change (Python's ``round`` rounds halves to even: 0.625 → 0.62).

The warehouse computes the same in SQL (``dbt_project/macros/rates.sql``); tests/test_rates.py runs the macros and
these functions on the same pairs so that the two cannot drift apart.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import SupportsInt

_HUNDRED = Decimal(100)


def round_half_up(value: object, places: int = 2) -> Decimal:
    """``value`` (a number, or its text) at ``places`` decimals, half-up."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def rate_pct(numerator: SupportsInt | None, denominator: SupportsInt | None, places: int = 2) -> Decimal | None:
    """numerator / denominator × 100, half-up to ``places`` decimals; None without a numerator or with a zero
    or missing denominator. Both are counts."""
    if numerator is None or not denominator:
        return None
    return (Decimal(int(numerator)) * _HUNDRED / Decimal(int(denominator))).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )


def change_pct(current: SupportsInt | None, previous: SupportsInt | None, places: int = 2) -> Decimal | None:
    """Month-over-month change in percent, (current − previous) / previous × 100, half-up to ``places``
    decimals; None when there is no previous count (or it is 0)."""
    if current is None or not previous:
        return None
    return rate_pct(int(current) - int(previous), previous, places)


def as_float(value: Decimal | None) -> float | None:
    """A rate as the float that figures (``figures.json``) carry."""
    return None if value is None else float(value)
