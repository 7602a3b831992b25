from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, validate_email

from channelhub.lib.forms import ModelForm
from channelhub.lib.roles import business_readers
from channels_app.channels.models import Channel
from kpis.models import ReviewPack


class ReviewPackForm(ModelForm):
    """A review pack definition: what it covers, when it goes out, to whom."""

    channel_kinds = forms.MultipleChoiceField(
        label="Channel kinds",
        choices=Channel.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For 'Channels of some kinds': every channel of these kinds that is not retired.",
    )

    class Meta:
        model = ReviewPack
        fields = [
            "name",
            "description",
            "is_active",
            "cadence",
            "weekday",
            "day_of_month",
            "send_hour",
            "period_kind",
            "periods",
            "channel_selection",
            "channel_kinds",
            "channels",
            "subscribers",
            "extra_emails",
            "delivery",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "extra_emails": forms.Textarea(attrs={"rows": 3}),
            "channels": forms.SelectMultiple(attrs={"size": 8}),
            "subscribers": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {
            "channels": "For 'A list of channels'.",
            "subscribers": "Users of ChannelHub who get the pack by email.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channels: Any = self.fields["channels"]
        channels.queryset = Channel.objects.order_by("name")
        subscribers: Any = self.fields["subscribers"]
        # People inside only: a pack holds every channel's figures.
        subscribers.queryset = business_readers(
            User.objects.filter(is_active=True).exclude(email="")
        ).order_by("username")
        subscribers.label_from_instance = lambda u: f"{u.get_full_name() or u.username} <{u.email}>"
        # The lowest a count may be, said once: a number below 0 was told
        # "0 or more" (the column's own limit), then 0 "1 or more".
        for name in ("periods", "day_of_month"):
            field: Any = self.fields.get(name)
            if field is None:
                continue
            field.min_value = 1
            field.widget.attrs["min"] = 1
            field.validators = [
                *(v for v in field.validators if not isinstance(v, MinValueValidator)),
                MinValueValidator(1),
            ]

    def clean_extra_emails(self) -> str:
        text = self.cleaned_data.get("extra_emails", "")
        bad = []
        for address in ReviewPack(extra_emails=text).extra_email_list():
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            raise ValidationError(f"Not an email address: {', '.join(bad)}.")
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        selection = data.get("channel_selection")
        if selection == ReviewPack.Selection.KINDS and not data.get("channel_kinds"):
            self.add_error("channel_kinds", "Choose at least one kind of channel.")
        if selection == ReviewPack.Selection.LIST and not data.get("channels"):
            self.add_error("channels", "Choose at least one channel.")
        return data
