"""Forms of the brand audit pages: the checklist as one score and one note per item."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from channelhub.lib.dates import BusinessDatesMixin
from channelhub.lib.forms import DateInput

from .models import BRAND_AUDIT_ITEMS, BrandAudit

SCORE_CHOICES = [
    ("", "—"),
    (1, "1 · off brand"),
    (2, "2 · often off brand"),
    (3, "3 · mostly on brand"),
    (4, "4 · on brand"),
    (5, "5 · exemplary"),
]


class BrandAuditForm(BusinessDatesMixin, forms.ModelForm):
    class Meta:
        model = BrandAudit
        fields = ["audited_on", "next_audit_on", "summary"]
        widgets = {
            "audited_on": DateInput(format="%Y-%m-%d"),
            "next_audit_on": DateInput(format="%Y-%m-%d"),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, cadence_days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in BRAND_AUDIT_ITEMS:
            self.fields[f"score_{key}"] = forms.TypedChoiceField(
                label=label, choices=SCORE_CHOICES, coerce=int
            )
            self.fields[f"notes_{key}"] = forms.CharField(
                label=f"{label}: notes", max_length=500, required=False
            )
        next_audit = self.fields["next_audit_on"]
        next_audit.required = False
        next_audit.help_text = f"Empty: {cadence_days} days after this audit."
        self.fields["summary"].help_text = "What stood out; what the channel owner should fix."
        if self.instance.pk and not self.is_bound:
            for item in self.instance.items.all():
                self.initial[f"score_{item.item}"] = item.score
                self.initial[f"notes_{item.item}"] = item.notes
        elif not self.is_bound:
            self.initial.setdefault("audited_on", timezone.localdate())

    @property
    def item_rows(self) -> list[tuple[str, Any, Any]]:
        """(label, score field, notes field) per checklist item, for the table."""
        return [
            (label, self[f"score_{key}"], self[f"notes_{key}"]) for key, label in BRAND_AUDIT_ITEMS
        ]

    def clean_audited_on(self) -> date:
        value = self.cleaned_data["audited_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("Record audits that took place, not planned ones.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        audited, following = data.get("audited_on"), data.get("next_audit_on")
        if audited and following and following <= audited:
            self.add_error("next_audit_on", "The next audit must be after this one.")
        return data

    def items(self) -> dict[str, tuple[int, str]]:
        data = self.cleaned_data
        return {key: (data[f"score_{key}"], data[f"notes_{key}"]) for key, _l in BRAND_AUDIT_ITEMS}

    def audit_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("audited_on", "next_audit_on", "summary")}

    def _post_clean(self) -> None:
        # The overall score is computed by the service, which validates the model.
        pass
