"""Forms of training completions and certifications."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.utils import timezone

from channelhub.lib.dates import BusinessDatesMixin
from channelhub.lib.forms import DateInput
from partners.directory.models import Partner, PartnerContact

from .models import Certification, TrainingModule
from .services import certification_duplicate_message, certification_held, certification_renews


def _contacts_field(field: forms.Field, partner: Partner) -> None:
    choice = cast(forms.ModelChoiceField, field)
    choice.queryset = PartnerContact.objects.filter(partner=partner).order_by("name")
    choice.label_from_instance = lambda c: f"{c.name} ({c.role})" if c.role else c.name  # type: ignore[method-assign,assignment]


class TrainingCompletionForm(BusinessDatesMixin, forms.Form):
    contact = forms.ModelChoiceField(queryset=PartnerContact.objects.none(), label="Person")
    module = forms.ModelChoiceField(
        queryset=TrainingModule.objects.filter(is_active=True), label="Training module"
    )
    completed_on = forms.DateField(widget=DateInput(), label="Completed on")
    score = forms.IntegerField(min_value=0, max_value=100, required=False, help_text="0-100")

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _contacts_field(self.fields["contact"], partner)

    def clean_completed_on(self) -> date:
        value = self.cleaned_data["completed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("A completion cannot be in the future.")
        return value


class CertificationForm(BusinessDatesMixin, forms.Form):
    contact = forms.ModelChoiceField(queryset=PartnerContact.objects.none(), label="Person")
    name = forms.CharField(max_length=120, label="Certification")
    issued_on = forms.DateField(widget=DateInput())
    expires_on = forms.DateField(widget=DateInput(), required=False, help_text="Empty: never.")

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _contacts_field(self.fields["contact"], partner)
        # The certification this one renews (valid longer than the one held).
        self.renews: Certification | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and expires and expires <= issued:
            self.add_error("expires_on", "A certification must expire after it is issued.")
        contact, name = data.get("contact"), data.get("name")
        if contact and name:
            # One per person and kind: the same again is a duplicate, not a renewal.
            held = certification_held(contact=contact, name=name)
            if held is not None and certification_renews(held, expires):
                self.renews = held
            elif held is not None:
                self.add_error("name", certification_duplicate_message(held))
        return data
