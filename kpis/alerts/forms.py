"""A subscription to email alerts."""

from __future__ import annotations

from typing import Any

from django import forms

from channelhub.lib.forms import ModelForm
from kpis.models import AlertSubscription


class AlertSubscriptionForm(ModelForm):
    class Meta:
        model = AlertSubscription
        fields = ["frequency", "scope", "channels", "is_active"]
        widgets = {
            "frequency": forms.RadioSelect,
            "scope": forms.RadioSelect,
            "channels": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "channels": "For “Channels I choose”.",
            "is_active": "Untick to pause the emails without losing your choice.",
        }

    def __init__(self, *args: Any, channels: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["channels"]
        field.queryset = channels.order_by("name")
        field.required = False
