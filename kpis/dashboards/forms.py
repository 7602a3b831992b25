"""The period chooser of KPI tables and the dashboards' filters, read from the URL."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from channelhub.lib.dates import validate_fact_date
from channelhub.lib.forms import Form
from channels_app.channels.models import Channel
from kpis.models import PeriodKind

from .compare import MAX_CHANNELS, MIN_CHANNELS
from .content import Filters


class PeriodForm(Form):
    """The period selector of KPI tables (read from the URL)."""

    period = forms.ChoiceField(
        choices=[(k, label) for k, label in PeriodKind.choices if k != "day"],
        required=False,
        initial="month",
    )
    periods = forms.IntegerField(required=False, min_value=1, max_value=60, initial=12)


class PeriodRangeForm(Form):
    """The period kind and date range of the dashboards, read from the URL; an
    address without a period shows months."""

    # Labels are what the filter bar says: errors name the field by them.
    period = forms.ChoiceField(
        label="Period",
        choices=[("week", "Week"), ("month", "Month"), ("quarter", "Quarter")],
        required=False,
    )
    # Inside the facts window: a range ending in year 9999 has periods that do
    # not exist (and no figures); the default range applies and the form says why.
    start = forms.DateField(
        label="From",
        required=False,
        validators=[validate_fact_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label="To",
        required=False,
        validators=[validate_fact_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.data.get("period"):
            # Only channels in the address, say: the select says "Month", as the
            # figures do, not its first choice.
            data = QueryDict(mutable=True)
            data.update(self.data)
            data["period"] = "month"
            self.data = data


class DashboardFilterForm(PeriodRangeForm):
    """Dashboard filters from the URL; anything invalid falls back to defaults."""

    kind = forms.ChoiceField(label="Channel kind", required=False)
    route = forms.ChoiceField(label="Route", required=False)
    status = forms.ChoiceField(label="Status", required=False)
    owner: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Owner", queryset=Channel.objects.none(), required=False, empty_label="Any owner"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.contrib.auth import get_user_model

        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["kind"].choices = [("", "Any kind"), *Channel.Kind.choices]
        fields["route"].choices = [("", "Any route"), *Channel.Route.choices]
        fields["status"].choices = [("", "Any status"), *Channel.Status.choices]
        owner = fields["owner"]
        owner.queryset = (
            get_user_model()
            .objects.filter(owned_channels__isnull=False)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        # People by name, as every page shows them.
        owner.label_from_instance = lambda u: u.get_full_name() or u.get_username()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end is before the start.")
        return data

    def filters(self) -> Any:
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


class CompareForm(PeriodRangeForm):
    """Compare channels: 2 to 6 channels and a range, from the URL (bookmarkable)."""

    channel = forms.ModelMultipleChoiceField(
        label="Channels",
        queryset=Channel.objects.none(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "“%(value)s” is not a channel you can see."},
    )
    field_order = ["channel", "period", "start", "end"]

    def __init__(self, *args: Any, channels: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["channel"]
        field.queryset = channels.order_by("name")

    def clean_channel(self) -> list[Channel]:
        chosen = list(self.cleaned_data.get("channel") or [])
        if len(chosen) < MIN_CHANNELS:
            raise forms.ValidationError(
                f"Pick at least {MIN_CHANNELS} channels to compare (you picked {len(chosen)})."
            )
        if len(chosen) > MAX_CHANNELS:
            raise forms.ValidationError(
                f"Pick at most {MAX_CHANNELS} channels to compare (you picked {len(chosen)})."
            )
        return chosen

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end is before the start.")
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return Filters(
            kind=data.get("period") or "month", start=data.get("start"), end=data.get("end")
        )
