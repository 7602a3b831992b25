"""Forms of deal registrations and their decision."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from channelhub.lib.forms import DateInput, Form, ModelForm
from channelhub.lib.matching import normalise_domain
from partners.conflicts.forms import ConflictCloseForm
from partners.directory.forms import partner_choice_field
from partners.directory.models import Partner

from .models import (
    DEAL_REGISTRATION_DAYS,
    ESTIMATED_VALUE_MESSAGE,
    DealRegistration,
    validate_country,
)
from .services import KEEP_LATER, KEEP_NONE


class DealForm(ModelForm):
    class Meta:
        model = DealRegistration
        fields = [
            "partner",
            "customer_name",
            "customer_domain",
            "country",
            "estimated_value",
            "product_interest",
            "expected_close_on",
            "notes",
        ]
        widgets = {
            "expected_close_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "country": forms.TextInput(attrs={"maxlength": 2, "size": 3, "autocomplete": "off"}),
        }
        labels = {"customer_domain": "Customer domain", "estimated_value": "Estimated value"}

    def __init__(self, *args: Any, partners: QuerySet[Partner] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk or partners is None:
            # The partner of a registration does not change; a registration
            # made from a partner's page is for that partner.
            del self.fields["partner"]
        else:
            partner_choice_field(self.fields["partner"], partners)
            self.fields["partner"].help_text = "The partner that brings the deal."
        self.fields["customer_domain"].required = False
        self.fields["expected_close_on"].help_text = "When the partner expects to close it."

    def clean_customer_domain(self) -> str:
        value = self.cleaned_data.get("customer_domain") or ""
        try:
            normalise_domain(value)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return value.strip()

    def clean_country(self) -> str:
        value = (self.cleaned_data.get("country") or "").strip().upper()
        try:
            validate_country(value)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return value

    def clean_estimated_value(self) -> Any:
        value = self.cleaned_data.get("estimated_value")
        if value is not None and value <= 0:
            raise forms.ValidationError(ESTIMATED_VALUE_MESSAGE)
        return value

    def clean_expected_close_on(self) -> date:
        value = self.cleaned_data["expected_close_on"]
        if value < timezone.localdate():
            raise forms.ValidationError("The expected close date has passed.")
        return value

    def _post_clean(self) -> None:
        # The service normalises the customer keys and validates the model.
        pass


class DealDecisionForm(Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    expires_on = forms.DateField(
        widget=DateInput(),
        required=False,
        label="Protected until",
        help_text=f"Empty: {DEAL_REGISTRATION_DAYS} days from today.",
    )
    note = forms.CharField(
        max_length=300, required=False, label="Note", help_text="Needed to reject."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "Say why the registration is rejected.")
        until = data.get("expires_on")
        if data.get("decision") == "approve" and until and until < timezone.localdate():
            self.add_error("expires_on", "The registration cannot expire in the past.")
        return data


class OverlapCloseForm(ConflictCloseForm):
    """Closing a deal-overlap case: the outcome, and which registration keeps
    the customer, decided in the same step."""

    keep = forms.ChoiceField(
        label="Registrations",
        widget=forms.RadioSelect,
        help_text="The one kept is approved; the others are rejected with this case's outcome.",
    )

    def __init__(self, *args: Any, deals: list[DealRegistration], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["keep"]
        field.choices = [
            (
                str(d.pk),
                f"{d.partner.name} keeps {d.customer_name} (registered {d.submitted_on:%Y-%m-%d})",
            )
            for d in deals
        ] + [(KEEP_NONE, "Reject them all"), (KEEP_LATER, "Decide the registrations later")]
        field.initial = KEEP_LATER if not deals else None
