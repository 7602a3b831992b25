from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from channelhub.lib.uploads import read_head
from channels_app.channels.models import Channel

from .importing import FileProblem
from .models import PeriodKind, ReviewPack
from .services import check_upload


class ImportForm(forms.Form):
    file = forms.FileField(
        label="File of daily facts",
        help_text="CSV (UTF-8) or XLSX with a header row; see the template for every column.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    create_channels = forms.BooleanField(
        required=False,
        label="Create channels that do not exist yet (kind “other”)",
        help_text=(
            "For a first import of a business's history; otherwise an unknown channel is an error."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            check_upload(name=upload.name, size=upload.size, head=read_head(upload))
        except FileProblem as problem:
            raise forms.ValidationError(str(problem)) from None
        return upload

    @property
    def max_mb(self) -> int:
        return settings.MAX_UPLOAD_BYTES // (1024 * 1024)


class PeriodForm(forms.Form):
    """The period selector of KPI tables (read from the URL)."""

    period = forms.ChoiceField(
        choices=[(k, label) for k, label in PeriodKind.choices if k != "day"],
        required=False,
        initial="month",
    )
    periods = forms.IntegerField(required=False, min_value=1, max_value=60, initial=12)


class DashboardFilterForm(forms.Form):
    """Dashboard filters from the URL; anything invalid falls back to defaults."""

    period = forms.ChoiceField(
        choices=[("week", "Week"), ("month", "Month"), ("quarter", "Quarter")], required=False
    )
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(required=False)
    route = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False)
    owner: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Channel.objects.none(), required=False, empty_label="Any owner"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.contrib.auth import get_user_model

        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["kind"].choices = [("", "Any kind"), *Channel.Kind.choices]
        fields["route"].choices = [("", "Any route"), *Channel.Route.choices]
        fields["status"].choices = [("", "Any status"), *Channel.Status.choices]
        fields["owner"].queryset = (
            get_user_model()
            .objects.filter(owned_channels__isnull=False)
            .distinct()
            .order_by("username")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end is before the start.")
        return data

    def filters(self) -> Any:
        from .dashboards import Filters

        self.is_valid()  # invalid fields drop out of cleaned_data: their defaults apply
        data = self.cleaned_data
        owner = data.get("owner")
        return Filters(
            kind=data.get("period") or "month",
            start=data.get("start"),
            end=data.get("end"),
            channel_kind=data.get("kind") or "",
            route=data.get("route") or "",
            status=data.get("status") or "",
            owner=owner.pk if owner else None,
        )


class FeedbackForm(forms.Form):
    channel = forms.ModelChoiceField(queryset=Channel.objects.order_by("name"))
    partner: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Channel.objects.none(), required=False, empty_label="— the channel itself —"
    )
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
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
        from partners.models import Partner

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


class ReviewPackForm(forms.ModelForm):
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
        subscribers.queryset = (
            User.objects.filter(is_active=True).exclude(email="").order_by("username")
        )
        subscribers.label_from_instance = lambda u: f"{u.get_full_name() or u.username} <{u.email}>"

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
