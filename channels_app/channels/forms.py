"""Forms of channels and objectives. They parse and check input; services write."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from channelhub.lib.forms import DateInput, ModelForm
from channelhub.lib.roles import runs_channels_or_partners
from channelhub.metrics.formulas import METRICS, SCORE_RANGES, default_direction

from .models import Channel, ChannelObjective
from .services import unique_channel_slug

User = get_user_model()


class ChannelForm(ModelForm):
    class Meta:
        model = Channel
        fields = [
            "name",
            "slug",
            "kind",
            "route",
            "reach",
            "owner",
            "status",
            "start_date",
            "target_segment",
            "value_proposition",
            "notes",
        ]
        widgets = {
            "start_date": DateInput(),
            "value_proposition": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "slug": "Used in imports and links. Leave empty to make one from the name.",
            "target_segment": "Who this channel sells to, e.g. 'SMB retailers in DACH'.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        # Someone who runs channels or partners (or an administrator); a
        # viewer or a partner's own person cannot own a channel. The stored
        # owner stays choosable, whatever their role is now.
        runs = runs_channels_or_partners()
        if self.instance.owner_id:
            runs |= Q(pk=self.instance.owner_id)
        owner.queryset = (
            User.objects.filter(is_active=True)
            .filter(runs)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        owner.error_messages["invalid_choice"] = (
            "Choose a marketing or partner manager: the owner runs the channel."
        )
        # People by name, as every page shows them.
        owner.label_from_instance = lambda u: u.get_full_name() or u.get_username()  # type: ignore[method-assign,assignment]

    def clean_name(self) -> str:
        # Spaces of every kind (a no-break space pasted from a document, two
        # in a row) as one plain space: "Web Shop" typed with a no-break
        # space was a second channel that looked the same in every list.
        return " ".join(str(self.cleaned_data.get("name") or "").split())

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug") or ""
        if not slug and self.cleaned_data.get("name"):
            slug = unique_channel_slug(self.cleaned_data["name"], exclude_pk=self.instance.pk)
        return slug


class ObjectiveForm(ModelForm):
    target = forms.CharField(
        help_text="A number. For percentages (ROI, CTR, share, margin) you may type 25% or 0.25.",
    )

    class Meta:
        model = ChannelObjective
        fields = ["metric", "target", "direction", "start_date", "end_date", "description"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        help_texts = {
            "direction": "Leave empty for the usual one: at most for costs, at least otherwise.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        direction = cast(forms.ChoiceField, self.fields["direction"])
        direction.required = False
        direction.choices = [
            ("", "Usual for the metric"),
            *ChannelObjective.Direction.choices,
        ]
        if self.instance.pk and not self.is_bound:
            target = self.instance.target
            metric = METRICS.get(self.instance.metric)
            # Shown as it was typed: a percentage as 25%, not as the stored 0.25.
            percent = metric is not None and metric.unit == "percent"
            self.initial["target"] = f"{_plain(target * 100)}%" if percent else _plain(target)

    def clean_target(self) -> Decimal:
        raw = (self.cleaned_data.get("target") or "").strip().replace(",", "")
        percent = raw.endswith("%")
        try:
            value = Decimal(raw.rstrip("%").strip())
        except InvalidOperation:
            raise forms.ValidationError("Enter a number, for example 50000 or 25%.") from None
        if not value.is_finite():
            raise forms.ValidationError("Enter a number, for example 50000 or 25%.")
        if percent:
            value = value / 100
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        metric = data.get("metric")
        if metric and not data.get("direction"):
            data["direction"] = default_direction(metric)
        target = data.get("target")
        typed = self.data.get(self.add_prefix("target")) or ""
        # "25" for a percentage is almost always meant as 25%, not 2500%.
        if (
            metric
            and target is not None
            and METRICS[metric].unit == "percent"
            and abs(target) > 10
            and "%" not in typed
        ):
            self.add_error(
                "target",
                f"{METRICS[metric].label} is a fraction: type 0.25 or 25% for 25 percent.",
            )
        if metric and target is not None:
            reason = _impossible_target(metric, target)
            if reason:
                self.add_error("target", reason)
        return data


# Shares of a whole that cannot pass it (a CTR of 150% was accepted).
AT_MOST_WHOLE = {
    "ctr": "clicks are a part of impressions",
    "gross_margin_pct": "gross profit is a part of revenue",
}


def _impossible_target(metric: str, target: Decimal) -> str | None:
    """A score outside its scale; a count target that is not whole (2.5
    orders was shown as "at least 3")."""
    label = METRICS[metric].label
    if metric in AT_MOST_WHOLE and target > 1:
        return f"{label} cannot be above 100%: {AT_MOST_WHOLE[metric]}."
    if metric in SCORE_RANGES:
        low, high = SCORE_RANGES[metric]
        if not low <= target <= high:
            return f"{label} runs from {low} to {high}."
    elif METRICS[metric].unit == "count" and target != target.to_integral_value():
        return f"{label} are counted in whole numbers: type {int(target)} or {int(target) + 1}."
    return None


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
