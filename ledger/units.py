"""Weights: Decimal kg at the edges (API, payloads), integer grams in projections (exact sums)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ledger.errors import InvalidInput

_GRAM = Decimal("0.001")


def kg_to_g(value: Decimal | str | int, *, field: str = "weight_kg") -> int:
    """Kilograms (at most 3 decimals) to whole grams."""
    try:
        kg = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(f"weight {value!r} is not a number of kilograms", field=field) from None
    if not kg.is_finite():
        raise InvalidInput(f"weight {value!r} is not a finite number", field=field)
    grams = kg * 1000
    if grams != grams.to_integral_value():
        raise InvalidInput(f"weight {value} kg has more than 3 decimals (the ledger records grams)", field=field)
    return int(grams)


def g_to_kg(grams: int) -> Decimal:
    return (Decimal(grams) * _GRAM).quantize(_GRAM)


def g_to_t(grams: int) -> Decimal:
    return (Decimal(grams) / Decimal(1_000_000)).quantize(Decimal("0.001"))
