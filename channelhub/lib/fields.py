"""Money stored as integer cents.

docs/metrics.md wants money exact to the cent on PostgreSQL *and* SQLite (where a
`numeric` column is stored as a float). A bigint of cents is exact on both, so
the recompute SQL is the same on both, and sums over millions of rows are
integer sums (faster than numeric ones). Python code only ever sees Decimal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.db.models.expressions import Combinable

HUNDRED = Decimal(100)


def to_cents(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int((Decimal(str(value)) * HUNDRED).to_integral_value(rounding=ROUND_HALF_UP))


def from_cents(value: int | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(int(value)).scaleb(-2)


# Amounts typed in forms: up to 14 whole digits and cents. A decimal column
# keeps them on SQLite too (as a float there, which reads 16 digits back; an
# 18-digit amount came back as 1e16 and failed every read of its row).
MONEY_MAX_DIGITS = 16
MONEY_ERRORS = {
    "max_digits": "Amounts go up to 99,999,999,999,999.99.",
    "max_whole_digits": "Amounts go up to 99,999,999,999,999.99.",
    "max_decimal_places": "Give at most 2 decimals (cents).",
}


class CentsField(models.BigIntegerField):
    """A money amount: Decimal in Python, integer cents in the database."""

    # What django-stubs reads to type model attributes of this field.
    _pyi_private_set_type: Decimal | int | str | Combinable | None  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]
    _pyi_lookup_exact_type: Decimal | int | str  # type: ignore[assignment]

    description = "Money amount (stored as integer cents)"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        return from_cents(value)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or value == "":
            return None
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def get_prep_value(self, value: Any) -> int | None:
        return to_cents(value)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        # Keep Django's label, help text and required-ness; enter money, not cents.
        # Limits said as amounts, where Django counts digits ("no more than
        # 14 digits before the decimal point").
        messages = {**MONEY_ERRORS, **kwargs.pop("error_messages", {})}
        return models.Field.formfield(
            self,
            **{
                "form_class": forms.DecimalField,
                "decimal_places": 2,
                "max_digits": MONEY_MAX_DIGITS,
                "error_messages": messages,
                **kwargs,
            },
        )
