"""Forms of the modeled ROI: events, lift tests, each channel's cost basis and
the budget planner (the API validates through the same forms)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from channelhub.lib.fields import MONEY_ERRORS, MONEY_MAX_DIGITS
from channelhub.lib.forms import DateInput, Form, ModelForm
from channelhub.metrics.display import money0
from channels_app.channels.models import Channel
from kpis.models import BudgetPlan, LiftTest, ModelChannelSetting, ModelEvent

MAX_EVENT_DAYS = 366


class ModelEventForm(ModelForm):
    class Meta:
        model = ModelEvent
        fields = ["name", "start", "end"]
        widgets = {"start": DateInput(), "end": DateInput()}
        labels = {"start": "First day", "end": "Last day"}
        help_texts = {"name": "What happened: a sale, a holiday, a strike, a TV campaign …"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The last day is before the first day.")
            elif (end - start).days >= MAX_EVENT_DAYS:
                self.add_error("end", "An event lasts at most a year.")
        return data


# The model's curves only rise with cost (PyMC-Marketing refuses a test
# that says otherwise, and the whole fit with it).
OPPOSITE_MOVES = (
    "The revenue must move the way the cost did: more cost cannot be measured as lost "
    "revenue, nor a cut as revenue gained. A test that found no effect can be entered "
    "with a small change of revenue and its standard error."
)
NO_EFFECT = (
    "A change of exactly 0 cannot calibrate the model's curves. For a test that found "
    "no effect, enter a small change of revenue the way the cost moved (for example 1, "
    "or -1 for a cut) with the test's standard error: the error says how sure it is."
)


class LiftTestForm(ModelForm):
    class Meta:
        model = LiftTest
        fields = [
            "channel",
            "name",
            "start",
            "end",
            "cost",
            "delta_cost",
            "delta_revenue",
            "sigma",
            "notes",
        ]
        widgets = {
            "start": DateInput(),
            "end": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"start": "First day", "end": "Last day", "name": "Name (optional)"}

    AMOUNTS = ("cost", "delta_cost", "delta_revenue", "sigma")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel: Any = self.fields["channel"]
        channel.queryset = Channel.objects.order_by("name", "slug")
        for name in self.AMOUNTS:
            field = self.fields[name]
            self.fields[name] = forms.DecimalField(
                label=field.label,
                help_text=field.help_text,
                max_digits=MONEY_MAX_DIGITS,
                decimal_places=2,
                error_messages=MONEY_ERRORS,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The last day is before the first day.")
        today = timezone.localdate()
        if start and start > today:
            self.add_error("start", "A lift test is recorded once it has run: this day is ahead.")
        elif end and end > today:
            self.add_error(
                "end", "A lift test is recorded once it has run: its last day is still ahead."
            )
        channel = data.get("channel")
        if channel is not None and (
            ModelChannelSetting.objects.filter(
                channel=channel, cost_basis=ModelChannelSetting.CostBasis.NONE
            ).exists()
        ):
            self.add_error(
                "channel",
                f"{channel.name} is set as not advertising, so the model does not estimate "
                "it and would leave this test out. Change that under Costs per channel first.",
            )
        sigma = data.get("sigma")
        if sigma is not None and sigma <= 0:
            self.add_error("sigma", "The standard error must be above zero.")
        cost = data.get("cost")
        if cost is not None and cost < 0:
            self.add_error("cost", "A cost cannot be negative.")
        delta = data.get("delta_cost")
        if delta is not None:
            if delta == 0:
                self.add_error("delta_cost", "A lift test changes the cost: it cannot be 0.")
            elif cost is not None and cost + delta < 0:
                self.add_error(
                    "delta_cost", "The cost cannot drop by more than it was (cost + change < 0)."
                )
            revenue = data.get("delta_revenue")
            if revenue is not None and revenue == 0:
                self.add_error("delta_revenue", NO_EFFECT)
            elif revenue is not None and revenue * delta < 0:
                self.add_error("delta_revenue", OPPOSITE_MOVES)
        if not self.errors:
            fields = ("channel", "start", "end", "delta_cost", "delta_revenue")
            same = LiftTest.objects.filter(**{f: data.get(f) for f in fields}).exclude(
                pk=self.instance.pk
            )
            if same.exists():
                self.add_error(
                    None,
                    "This test is already recorded, with the same channel, days and "
                    "measured changes: recording it twice would count the experiment twice.",
                )
        return data


class CostBasisForm(Form):
    """One choice per channel: spend + incentive cost, spend only, or not
    advertising (no media of the model)."""

    def __init__(self, *args: Any, channels: list[tuple[Channel, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels = [channel for channel, _ in channels]
        for channel, basis in channels:
            self.fields[f"cost_{channel.pk}"] = forms.ChoiceField(
                label=channel.name,
                choices=ModelChannelSetting.CostBasis.choices,
                initial=basis,
            )

    def choices(self) -> list[tuple[Channel, str]]:
        return [(c, self.cleaned_data[f"cost_{c.pk}"]) for c in self.channels]


def period_end(kind: str, start: date) -> date:
    if kind == "quarter":
        month = start.month + 2
        year = start.year + (month - 1) // 12
        month = (month - 1) % 12 + 1
        return date(year, month, calendar.monthrange(year, month)[1])
    return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])


def next_month() -> date:
    today = timezone.localdate()
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


PLAN_YEARS_AHEAD = 2

# A channel's bound is three form fields named by side and slug (min__search),
# so that one can never land on another channel; the API maps its nested
# bounds to them and their errors back.
BOUND_SIDES = ("min", "max", "locked")


def bound_field(side: str, slug: str) -> str:
    return f"{side}__{slug}"


def bound_of_field(name: str) -> tuple[str, str] | None:
    """(slug, side) of a bound's field name; None for any other field."""
    side, _, slug = name.partition("__")
    return (slug, side) if slug and side in BOUND_SIDES else None


class PlanForm(Form):
    """The planner's question. Bounds are fields named by channel slug, so a
    channel's bound can never land on another channel."""

    # Three months from any month's first day (a quarter when it starts one).
    PERIODS = [("month", "A month"), ("quarter", "Three months (a quarter)")]

    name = forms.CharField(max_length=120, required=False, help_text="To save it as a scenario.")
    goal = forms.ChoiceField(choices=BudgetPlan.Goal.choices, initial=BudgetPlan.Goal.REVENUE)
    mode = forms.ChoiceField(choices=BudgetPlan.Mode.choices, initial=BudgetPlan.Mode.BUDGET)
    period = forms.ChoiceField(choices=PERIODS, initial="month")
    start = forms.DateField(
        label="Starting",
        widget=DateInput(),
        help_text="The first day of the month, or of the three months.",
    )
    total_budget = forms.DecimalField(
        label="Total budget",
        max_digits=16,
        decimal_places=2,
        required=False,
        min_value=0,
        help_text="For the whole period, all channels together; proposed: next month at "
        "today's spend.",
    )
    reach = forms.ChoiceField(
        label="Channels without bounds may move",
        choices=BudgetPlan.Reach.choices,
        initial=BudgetPlan.Reach.NEAR,
        required=False,  # a question without it (an older script) stays near today
        help_text="Within what the model has seen: from half to twice today's spend, or from "
        "its quietest to its busiest month in the data where that is wider; far from those, "
        "a channel's curve is a guess. A bound entered below replaces this for its channel.",
    )
    target = forms.DecimalField(
        label="Target",
        max_digits=16,
        decimal_places=2,
        required=False,
        min_value=Decimal("0.01"),
        help_text="Incremental revenue (or gross profit) to reach over the period.",
    )

    def __init__(
        self,
        *args: Any,
        slugs: dict[str, str],
        today_daily: dict[str, float] | None = None,
        idle: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        """`slugs`: slug -> channel name, of the channels the model has a curve for;
        `today_daily`: slug -> today's average daily cost (shown beside the
        bounds, and next month at today's pace is the budget proposed)."""
        start = next_month()
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("start", start)
        self.today_daily = dict(today_daily or {})
        # slug -> "paused" / "retired", said beside the name: such a channel
        # given no bound gets nothing (services.plan_answer).
        self.idle = dict(idle or {})
        pace: dict[str, int] = {}
        daily_total = sum(self.today_daily.values())
        if self.today_daily:
            for period in ("month", "quarter"):
                days = (period_end(period, start) - start).days + 1
                pace[period] = round(daily_total * days)
            initial.setdefault("total_budget", pace["month"])
        super().__init__(*args, **kwargs)
        # Each mode's own figure only (static/js/app.js hides the other).
        self.fields["total_budget"].widget.attrs["data-shown-when"] = "mode=budget"
        self.fields["target"].widget.attrs["data-shown-when"] = "mode=target"
        if pace:
            # The proposal follows the period chosen until the budget is typed
            # over (static/js/app.js, from today's spend beside the bounds).
            self.fields["total_budget"].widget.attrs["data-pace-value"] = round(
                daily_total * self.period_days()
            )
            self.fields["total_budget"].help_text = (
                "For the whole period, all channels together. At today's spend: "
                f"{money0(pace['month'])} for next month, "
                f"{money0(pace['quarter'])} for the quarter from next month."
            )
        self.slugs = dict(slugs)
        for slug, name in self.slugs.items():
            self.fields[bound_field("min", slug)] = forms.DecimalField(
                label=f"{name}: minimum",
                max_digits=16,
                decimal_places=2,
                required=False,
                min_value=0,
            )
            self.fields[bound_field("max", slug)] = forms.DecimalField(
                label=f"{name}: maximum",
                max_digits=16,
                decimal_places=2,
                required=False,
                min_value=0,
            )
            self.fields[bound_field("locked", slug)] = forms.BooleanField(
                label=f"{name}: keep today's spend", required=False
            )

    def period_days(self) -> int:
        """Days of the month or quarter asked for, as typed (next month before
        anything is): the bounds are totals over it, so today's spend beside
        them is too (static/js/app.js follows the period as it is changed)."""
        period = self["period"].value()
        start = self["start"].value()
        if isinstance(start, str):
            try:
                start = self.fields["start"].to_python(start)
            except ValidationError:
                start = None
        if not isinstance(start, date):
            start = next_month()
        kind = "quarter" if period == "quarter" else "month"
        first = start.replace(day=1)
        try:
            end = period_end(kind, first)
        except ValueError:  # a quarter from the last months of year 9999 (refused by the field)
            first = next_month()
            end = period_end(kind, first)
        return (end - first).days + 1

    def channel_rows(self) -> list[dict[str, Any]]:
        days = self.period_days()
        return [
            {
                "slug": slug,
                "name": name,
                "min": self[bound_field("min", slug)],
                "max": self[bound_field("max", slug)],
                "locked": self[bound_field("locked", slug)],
                "today_daily": self.today_daily.get(slug),
                "today_period": (
                    self.today_daily[slug] * days if slug in self.today_daily else None
                ),
                "idle": self.idle.get(slug, ""),
            }
            for slug, name in sorted(self.slugs.items(), key=lambda i: (i[1].lower(), i[0]))
        ]

    def channels_with_errors(self) -> list[str]:
        """Each channel whose bounds were refused, with why ("Google Ads: the
        maximum is below the minimum"), in the table's order."""
        out = []
        for row in self.channel_rows():
            messages = [
                str(message)
                for side in BOUND_SIDES
                for message in self.errors.get(bound_field(side, row["slug"]), [])
            ]
            if messages:
                why = " ".join(messages)
                out.append(f"{row['name']}: {why[:1].lower()}{why[1:]}")
        return out

    def clean_reach(self) -> str:
        return self.cleaned_data.get("reach") or BudgetPlan.Reach.NEAR

    def clean_start(self) -> date:
        start: date = self.cleaned_data["start"]
        if start.day != 1:
            raise ValidationError("Start on the first day of a month.")
        today = timezone.localdate()
        if start < today.replace(day=1):
            raise ValidationError("Plan a month or quarter that has not ended: this one is past.")
        if start > date(today.year + PLAN_YEARS_AHEAD, today.month, 1):
            raise ValidationError(
                f"Plan at most {PLAN_YEARS_AHEAD} years ahead: the model reads today's spend."
            )
        return start

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode = data.get("mode")
        # (A value refused by its field already says why: no second message.)
        for asked, field, message in (
            (BudgetPlan.Mode.BUDGET, "total_budget", "Give the total budget to split."),
            (BudgetPlan.Mode.TARGET, "target", "Give the target to reach."),
        ):
            if mode == asked and data.get(field) is None and field not in self.errors:
                self.add_error(field, message)
        for slug in self.slugs:
            low, high = data.get(bound_field("min", slug)), data.get(bound_field("max", slug))
            if low is not None and high is not None and high < low:
                self.add_error(bound_field("max", slug), "The maximum is below the minimum.")
            if data.get(bound_field("locked", slug)) and (low is not None or high is not None):
                self.add_error(
                    bound_field("locked", slug),
                    "Keep today's spend, or give a minimum or maximum: not both.",
                )
        if data.get("start") and data.get("period"):
            data["end"] = period_end(data["period"], data["start"])
        return data

    def bounds(self) -> dict[str, dict[str, Any]]:
        """{slug: {"min", "max", "locked"}} of the channels given any bound."""
        out = {}
        for slug in self.slugs:
            low = self.cleaned_data.get(bound_field("min", slug))
            high = self.cleaned_data.get(bound_field("max", slug))
            locked = bool(self.cleaned_data.get(bound_field("locked", slug)))
            if low is not None or high is not None or locked:
                out[slug] = {
                    "min": None if low is None else str(low),
                    "max": None if high is None else str(high),
                    "locked": locked,
                }
        return out


class WhatIfForm(Form):
    channel = forms.ChoiceField(label="Channel")
    amount = forms.DecimalField(
        label="Spend over 30 days", max_digits=16, decimal_places=2, min_value=0
    )

    def __init__(self, *args: Any, slugs: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel: Any = self.fields["channel"]
        channel.choices = sorted(slugs.items(), key=lambda i: (i[1].lower(), i[0]))
