"""Money fields (channelhub.lib.fields.CentsField) in forms: their limits said
as amounts and cents, not as counts of digits."""

from __future__ import annotations

import pytest
from django import forms

from partners.incentives.models import MdfClaim

pytestmark = pytest.mark.django_db


class ClaimAmount(forms.ModelForm):
    class Meta:
        model = MdfClaim
        fields = ["amount"]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("1234567890123456", "Amounts go up to 99,999,999,999,999.99."),
        ("12.345", "Give at most 2 decimals (cents)."),
        ("99999999999999.99", None),
    ],
)
def test_a_money_fields_limits_are_said_as_amounts(typed, error):
    form = ClaimAmount({"amount": typed})
    form.is_valid()
    assert form.errors.get("amount", [None]) == [error]
