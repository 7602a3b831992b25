from __future__ import annotations

from typing import Any

from django import forms

from channelhub.lib.dates import validate_fact_date
from channelhub.lib.forms import Form
from channels_app.channels.models import Channel
from partners.models import Partner


class FeedbackForm(Form):
    channel = forms.ModelChoiceField(queryset=Channel.objects.order_by("name"))
    partner: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Channel.objects.none(), required=False, empty_label="— the channel itself —"
    )
    day = forms.DateField(
        label="Date",
        validators=[validate_fact_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    score = forms.IntegerField(
        label="Recommend score (0-10)", min_value=0, max_value=10, required=False,
        help_text="How likely the customer is to recommend us: 9-10 promoters, 0-6 detractors.",
    )  # fmt: skip
    rating = forms.IntegerField(label="Rating (1-5)", min_value=1, max_value=5, required=False)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )
    source = forms.CharField(
        required=False, max_length=80, help_text="Survey, review site, support ticket, ..."
    )

    def __init__(self, *args: Any, partners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["partner"].queryset = (
            partners if partners is not None else Partner.objects.order_by("name")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("score") is None and data.get("rating") is None and not self.has_error("score"):
            self.add_error("score", "Give a recommend score, a rating, or both.")
        partner, channel = data.get("partner"), data.get("channel")
        if partner and channel and partner.channel_id != channel.pk:
            self.add_error("partner", f"{partner.name} belongs to another channel.")
        return data
