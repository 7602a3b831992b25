"""Forms of interactions and performance reviews (with their action items).
They parse and check input; services write.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from channelhub.lib.forms import DateInput, Form, ModelForm
from partners.directory.models import Partner
from partners.enablement.forms import _contacts_field

from .models import REVIEW_CRITERIA, REVIEWED_BEFORE_PERIOD, Interaction, PartnerReview


class InteractionForm(ModelForm):
    class Meta:
        model = Interaction
        fields = [
            "kind",
            "occurred_on",
            "contacts",
            "participants",
            "summary",
            "outcome",
            "next_step",
            "follow_up_on",
        ]
        widgets = {
            "occurred_on": DateInput(),
            "follow_up_on": DateInput(),
            "contacts": forms.SelectMultiple(attrs={"size": 4}),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _contacts_field(self.fields["contacts"], partner)
        self.fields["contacts"].help_text = "Ctrl-click (⌘-click) to choose several."
        # Portal messages and activity are written by the portal (partners.access),
        # never logged by hand; one already logged keeps its kind when edited.
        if self.instance.kind not in Interaction.PORTAL_KINDS:
            kind = cast(forms.ChoiceField, self.fields["kind"])
            offered: list[Any] = list(cast(Any, kind.choices))
            kind.choices = [c for c in offered if c[0] not in Interaction.PORTAL_KINDS]
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("occurred_on", timezone.localdate())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        occurred = data.get("occurred_on")
        if occurred and occurred > timezone.localdate():
            self.add_error("occurred_on", "Log interactions that happened, not planned ones.")
        # The follow-up rules are the model's (clean), shown next to their fields.
        return data


SCORE_CHOICES = [
    ("", "—"),
    (1, "1 · poor"),
    (2, "2 · below expectations"),
    (3, "3 · meets expectations"),
    (4, "4 · above expectations"),
    (5, "5 · excellent"),
]


class ReviewForm(ModelForm):
    class Meta:
        model = PartnerReview
        fields = [
            "period_start",
            "period_end",
            "reviewed_on",
            *(name for name, _label in REVIEW_CRITERIA),
            "strengths",
            "improvements",
            "next_review_on",
        ]
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "reviewed_on": DateInput(),
            "next_review_on": DateInput(),
            "strengths": forms.Textarea(attrs={"rows": 3}),
            "improvements": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, default_cadence_days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in REVIEW_CRITERIA:
            self.fields[name] = forms.TypedChoiceField(
                label=label, choices=SCORE_CHOICES, coerce=int, help_text=""
            )
        next_review = self.fields["next_review_on"]
        next_review.required = False
        next_review.help_text = (
            f"Empty: {default_cadence_days} days after this review (the tier's cadence)."
        )
        if not self.instance.pk and not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("reviewed_on", today)
            # The suggested date, by the partner's review cadence.
            self.initial.setdefault("next_review_on", today + timedelta(days=default_cadence_days))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The period must end on or after it starts.")
        reviewed, following = data.get("reviewed_on"), data.get("next_review_on")
        if reviewed and reviewed > timezone.localdate():
            self.add_error("reviewed_on", "Log reviews that took place, not planned ones.")
        if reviewed and following and following <= reviewed:
            self.add_error("next_review_on", "The next review must be after this one.")
        if reviewed and start and reviewed < start:
            self.add_error("reviewed_on", REVIEWED_BEFORE_PERIOD)
        return data

    def _post_clean(self) -> None:
        # The overall score is computed by the service, which validates the model.
        pass


class ActionItemForm(Form):
    description = forms.CharField(max_length=300, required=False, label="Action")
    owner = forms.CharField(max_length=120, required=False)
    due_on = forms.DateField(widget=DateInput(), required=False, label="Due")
    done_on = forms.DateField(widget=DateInput(), required=False, label="Done")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = [data.get(f) for f in ("description", "owner", "due_on")]
        if any(filled) and not all(filled):
            for field in ("description", "owner", "due_on"):
                if not data.get(field) and field not in self.errors:
                    self.add_error(field, "Needed for an action item.")
        return data


def action_items_of(formset: Any) -> list[dict[str, Any]]:
    """The filled rows of a valid action item formset."""
    return [f.cleaned_data for f in formset.forms if f.cleaned_data.get("description")]


ActionItemFormSet = forms.formset_factory(ActionItemForm, extra=3, max_num=30, validate_max=True)
