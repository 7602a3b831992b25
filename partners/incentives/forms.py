"""Forms of the incentive programme pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from channelhub.lib.forms import DateInput, Form, ModelForm
from channelhub.lib.roles import MARKETING_MANAGER, PARTNER_MANAGER
from partners.directory.models import Partner

from .models import IncentivePayout, IncentiveProgram, MdfClaim
from .services import CLAIM_AMOUNT_ABOVE_ZERO


class ProgramForm(ModelForm):
    class Meta:
        model = IncentiveProgram
        fields = [
            "name",
            "kind",
            "channel",
            "tier",
            "accrual_period",
            "start_date",
            "end_date",
            "rebate_rate",
            "rebate_threshold",
            "spiff_per_unit",
            "mdf_allocation",
            "description",
            "owner",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"spiff_per_unit": "SPIFF per unit", "mdf_allocation": "MDF allocation"}
        help_texts = {
            "channel": "The partners of this channel may enrol…",
            "tier": "…or the partners of this tier, in any channel.",
            "accrual_period": "Rebates and funds accrue per month or fiscal quarter.",
            "owner": "Changes the terms and enrols partners, with the marketing managers. "
            "Empty: only marketing managers.",
        }

    def __init__(self, *args: Any, may_assign_owner: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_assign_owner:
            # Handing a programme over is a marketing manager's call
            # (partners.assign_incentiveprogram_owner): the field is not offered.
            del self.fields["owner"]
            return
        owner: Any = self.fields["owner"]
        owner.queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=[MARKETING_MANAGER, PARTNER_MANAGER])
            .distinct()
            .order_by("username")
        )
        owner.label_from_instance = lambda u: u.get_full_name() or u.get_username()


class BracketForm(Form):
    from_revenue = forms.DecimalField(
        min_value=Decimal(0), decimal_places=2, max_digits=14, label="From revenue"
    )
    rate = forms.DecimalField(
        min_value=Decimal(0), max_value=Decimal(1), decimal_places=4, max_digits=7,
        help_text="e.g. 0.05 for 5%",
    )  # fmt: skip


BracketFormSet = forms.formset_factory(BracketForm, extra=3, max_num=8)


def brackets_of(formset: Any) -> list[tuple[Decimal, Decimal]]:
    return [
        (f.cleaned_data["from_revenue"], f.cleaned_data["rate"])
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


class EnrollmentForm(Form):
    partner = forms.ModelChoiceField(queryset=Partner.objects.none())
    start_date = forms.DateField(
        required=False, widget=DateInput(), help_text="Empty: the programme's start."
    )

    def __init__(self, *args: Any, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["partner"]
        field.queryset = partners


class ClaimForm(ModelForm):
    partner = forms.ModelChoiceField(queryset=Partner.objects.none())

    class Meta:
        model = MdfClaim
        fields = ["partner", "activity_date", "amount", "description"]
        widgets = {"activity_date": DateInput()}

    def __init__(self, *args: Any, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["partner"]
        field.queryset = partners

    def clean_amount(self) -> Any:
        amount = self.cleaned_data.get("amount")
        if amount is not None and amount <= 0:
            # The service's rule, said here too so the database's constraint
            # name never reaches the page.
            raise forms.ValidationError(CLAIM_AMOUNT_ABOVE_ZERO)
        return amount


class PayoutForm(ModelForm):
    partner = forms.ModelChoiceField(queryset=Partner.objects.none())

    class Meta:
        model = IncentivePayout
        fields = ["partner", "period_start", "period_end", "amount", "paid_on", "reference"]
        widgets = {"period_start": DateInput(), "period_end": DateInput(), "paid_on": DateInput()}

    def __init__(self, *args: Any, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["partner"]
        field.queryset = partners
