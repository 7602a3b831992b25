"""Reads of the modeled ROI: the data a fit takes (one GROUP BY over the
facts), and the stored results pages, the planner, the API and exports read
(a constant number of queries whatever the number of channels or runs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Max, Q, QuerySet

from channelhub.lib.dates import FACTS_STORED_END, FACTS_STORED_FIRST
from channels_app.channels.models import Channel
from kpis.engine.sources import accruals_source, facts_source
from kpis.models import (
    BudgetPlan,
    ChannelModelResult,
    ImportRun,
    LiftTest,
    ModelChannelSetting,
    ModelEvent,
    ModelRun,
)

from . import contract, planner

# At most this many days of history feed a fit (three years: enough for
# yearly seasonality, recent enough to describe today's business).
MAX_DAYS = 3 * 365


def _daily_rows(first: date, last: date) -> list[tuple[Any, ...]]:
    """(day, channel id, spend, revenue, cogs, incentive cost, fact rows) per day and
    channel: the one GROUP BY a fit's data comes from (money in cents)."""
    where = f"day >= '{first.isoformat()}' AND day <= '{last.isoformat()}'"
    sql = (
        "SELECT day, channel_id, SUM(spend), SUM(revenue), SUM(cogs), SUM(incentive_cost), "
        f"SUM(is_fact) FROM ({facts_source(where)} UNION ALL {accruals_source(where)}) src "
        "GROUP BY day, channel_id ORDER BY day, channel_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def model_data(*, end: date | None = None, max_days: int = MAX_DAYS) -> contract.ModelData:
    """The data of the next fit: daily totals of the business, each paid
    channel's daily cost (spend + incentive cost, or spend only as the channel
    is set; a channel set as not advertising is no paid channel), attributed
    revenue and gross margin per paid channel over the window, the events and
    lift tests that touch it, and the days with no facts at all.

    The window runs from the first to the last day with facts (at most
    `max_days`, ending at `end` when given)."""
    last = min(end or date(FACTS_STORED_END.year - 1, 12, 31), FACTS_STORED_END - timedelta(1))
    rows = _daily_rows(FACTS_STORED_FIRST, last)
    frame = pd.DataFrame(
        rows, columns=["day", "channel_id", "spend", "revenue", "cogs", "incentive", "facts"]
    )
    for column in ("spend", "revenue", "cogs", "incentive", "facts"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    fact_days = frame.loc[frame["facts"] > 0, "day"]
    if fact_days.empty:
        return _empty_data()
    first_day, last_day = min(fact_days), max(fact_days)
    first_day = max(first_day, last_day - timedelta(days=max_days - 1))
    frame = frame[(frame["day"] >= first_day) & (frame["day"] <= last_day)]
    days = pd.date_range(first_day, last_day, freq="D")
    frame = frame.assign(day=pd.to_datetime(frame["day"]))

    channels = {c["pk"]: c for c in Channel.objects.values("pk", "slug", "name").order_by("slug")}
    basis = dict(ModelChannelSetting.objects.values_list("channel_id", "cost_basis"))
    spend_only = {c for c, b in basis.items() if b == ModelChannelSetting.CostBasis.SPEND}
    not_media = {c for c, b in basis.items() if b == ModelChannelSetting.CostBasis.NONE}
    frame = frame[frame["channel_id"].isin(channels)]
    cost = frame["spend"] + np.where(frame["channel_id"].isin(spend_only), 0.0, frame["incentive"])
    frame = frame.assign(cost=cost / 100.0)
    totals = frame.groupby("day")[["revenue", "cogs", "facts"]].sum().reindex(days, fill_value=0)
    per_channel = frame.groupby("channel_id")[["cost", "revenue", "cogs"]].sum()
    # A channel set as not advertising stays in the target (its sales are
    # part of the base), never in the media.
    paid = [
        cid
        for cid in per_channel.index
        if per_channel.loc[cid, "cost"] > 0 and cid not in not_media
    ]
    paid.sort(key=lambda cid: channels[cid]["slug"])
    media = (
        frame[frame["channel_id"].isin(paid)]
        .pivot_table(index="day", columns="channel_id", values="cost", aggfunc="sum")
        .reindex(index=days, columns=paid, fill_value=0.0)
        .fillna(0.0)
    )
    media.columns = [channels[cid]["slug"] for cid in paid]
    attributed = {
        channels[cid]["slug"]: float(per_channel.loc[cid, "revenue"]) / 100.0 for cid in paid
    }
    attributed_daily = (
        frame[frame["channel_id"].isin(paid)]
        .pivot_table(index="day", columns="channel_id", values="revenue", aggfunc="sum")
        .reindex(index=days, columns=paid, fill_value=0.0)
        .fillna(0.0)
        / 100.0
    )
    attributed_daily.columns = [channels[cid]["slug"] for cid in paid]
    margin = {}
    for cid in paid:
        revenue = float(per_channel.loc[cid, "revenue"])
        if revenue > 0:
            margin[channels[cid]["slug"]] = (
                revenue - float(per_channel.loc[cid, "cogs"])
            ) / revenue
    events = tuple(
        contract.Event(name=e.name, start=e.start, end=e.end)
        for e in ModelEvent.objects.filter(start__lte=last_day, end__gte=first_day).order_by(
            "start", "pk"
        )
    )
    # Every test, those of channels the model does not estimate too: the fit
    # says why it left each out.
    lift_tests = tuple(
        contract.LiftTest(
            channel=channels[t.channel_id]["slug"],
            start=t.start,
            end=t.end,
            cost=float(t.cost),
            delta_cost=float(t.delta_cost),
            delta_revenue=float(t.delta_revenue),
            sigma=float(t.sigma),
            channel_name=channels[t.channel_id]["name"],
        )
        for t in LiftTest.objects.order_by("start", "pk")
    )
    missing = tuple(d.date() for d in days[totals["facts"].to_numpy() == 0])
    return contract.ModelData(
        days=days,
        revenue=totals["revenue"].to_numpy() / 100.0,
        gross_profit=(totals["revenue"] - totals["cogs"]).to_numpy() / 100.0,
        media=media,
        channel_names={channels[cid]["slug"]: channels[cid]["name"] for cid in paid},
        attributed_revenue=attributed,
        attributed_daily=attributed_daily,
        gross_margin=margin,
        events=events,
        lift_tests=lift_tests,
        missing_days=missing,
        not_media=tuple(
            sorted(
                (
                    channels[cid]["name"]
                    for cid in per_channel.index
                    if cid in not_media and per_channel.loc[cid, "cost"] > 0
                ),
                key=str.lower,
            )
        ),
    )


def _empty_data() -> contract.ModelData:
    days = pd.DatetimeIndex([])
    return contract.ModelData(
        days=days,
        revenue=np.zeros(0),
        gross_profit=np.zeros(0),
        media=pd.DataFrame(index=days),
        channel_names={},
    )


# --- stored results -------------------------------------------------------------------


def live_run() -> ModelRun | None:
    """The model in use: the newest published run."""
    return (
        ModelRun.objects.filter(status=ModelRun.Status.SUCCEEDED, published_at__isnull=False)
        .select_related("requested_by")
        .order_by("-published_at", "-pk")
        .first()
    )


def last_data_change() -> datetime | None:
    """When facts last changed: the newest finished import (or undo) of facts."""
    found = ImportRun.objects.filter(
        kind=ImportRun.Kind.FACTS, status__in=[ImportRun.Status.SUCCEEDED, ImportRun.Status.UNDONE]
    ).aggregate(done=Max("finished_at"), undone=Max("undone_at"))
    stamps = [s for s in (found["done"], found["undone"]) if s is not None]
    return max(stamps) if stamps else None


def is_stale(run: ModelRun | None) -> bool:
    if run is None or run.data_cut is None:
        return False
    changed = last_data_change()
    return changed is not None and changed > run.data_cut


def results(run: ModelRun, *, with_samples: bool = False) -> list[ChannelModelResult]:
    """The run's channel results, by channel name (one query)."""
    query = ChannelModelResult.objects.filter(run=run).select_related("run")
    if not with_samples:
        query = query.defer("curve_samples")
    return sorted(query, key=lambda r: (r.name.lower(), r.slug))


@dataclass(frozen=True)
class ModelPage:
    live: ModelRun | None
    latest: ModelRun | None  # the newest run of any status
    stale: bool
    results: list[ChannelModelResult]

    @property
    def latest_failed(self) -> bool:
        """The newest run failed or was refused after the live model was published."""
        latest = self.latest
        if latest is None or latest.status not in (
            ModelRun.Status.FAILED,
            ModelRun.Status.REFUSED,
        ):
            return False
        published = self.live.published_at if self.live else None
        return published is None or latest.created_at > published

    @property
    def running(self) -> bool:
        return self.latest is not None and self.latest.is_active


def model_page() -> ModelPage:
    """What the Incremental ROI page reads: four queries whatever the data."""
    live = live_run()
    latest = ModelRun.objects.select_related("requested_by").order_by("-created_at", "-pk").first()
    return ModelPage(
        live=live,
        latest=latest,
        stale=is_stale(live),
        results=results(live) if live else [],
    )


def modeled_figures() -> dict[int, ChannelModelResult]:
    """channel id -> the live model's result, for the portfolio and channel
    pages (one query, curves left out)."""
    rows = (
        ChannelModelResult.objects.filter(
            run__status=ModelRun.Status.SUCCEEDED, run__published_at__isnull=False
        )
        .filter(
            run_id=ModelRun.objects.filter(
                status=ModelRun.Status.SUCCEEDED, published_at__isnull=False
            )
            .order_by("-published_at", "-pk")
            .values("pk")[:1]
        )
        .select_related("run")
        .defer("curve", "curve_samples")
    )
    return {r.channel_id: r for r in rows if r.channel_id is not None}


def typical_fit_seconds(last: int = 5) -> float | None:
    """The median duration of the last successful fits: what a running fit's
    page tells the user to expect (None before the first one)."""
    durations = sorted(
        (finished - started).total_seconds()
        for started, finished in ModelRun.objects.filter(
            status=ModelRun.Status.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False
        )
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:last]
        if started is not None and finished is not None
    )
    if not durations:
        return None
    middle = len(durations) // 2
    if len(durations) % 2:
        return durations[middle]
    return (durations[middle - 1] + durations[middle]) / 2


def run_list() -> QuerySet[ModelRun]:
    return ModelRun.objects.select_related("requested_by").order_by("-created_at", "-pk")


def event_list() -> QuerySet[ModelEvent]:
    return ModelEvent.objects.select_related("created_by").order_by("-start", "name")


def lift_test_list() -> QuerySet[LiftTest]:
    return LiftTest.objects.select_related("channel", "created_by").order_by("-start", "pk")


def idle_channels(slugs: list[str]) -> dict[str, str]:
    """Slug -> status word ("paused", "retired") of those of `slugs` not running (one query)."""
    idle = (Channel.Status.PAUSED, Channel.Status.RETIRED)
    rows = Channel.objects.filter(slug__in=slugs, status__in=idle).values_list("slug", "status")
    return {slug: str(Channel.Status(status).label).lower() for slug, status in rows}


def plan_bound_rows(plan: BudgetPlan) -> list[dict[str, Any]]:
    """The bounds a plan was made with, one row per channel given any, by name."""
    names = {row.get("slug"): row.get("name") for row in plan.allocations}
    rows = [{"name": str(names.get(slug) or slug), **bound} for slug, bound in plan.bounds.items()]
    return sorted(rows, key=lambda row: row["name"].lower())


def plan_list() -> QuerySet[BudgetPlan]:
    return BudgetPlan.objects.select_related("created_by", "run").order_by("-created_at", "-pk")


def cost_settings() -> list[tuple[Channel, str]]:
    """Every channel with the cost basis the model uses for it (two queries)."""
    chosen = dict(ModelChannelSetting.objects.values_list("channel_id", "cost_basis"))
    return [
        (c, chosen.get(c.pk, ModelChannelSetting.CostBasis.TOTAL))
        for c in Channel.objects.order_by("name", "slug")
    ]


def active_run() -> ModelRun | None:
    return ModelRun.objects.filter(Q(status__in=ModelRun.ACTIVE)).first()


def _number(stored: Any, default: float) -> float:
    return float(stored) if isinstance(stored, int | float) and stored >= 0 else default


def _months_seen(stored: Any) -> tuple[float, float] | None:
    """A curve's quietest and busiest month (daily cost), when its fit stored them."""
    if not isinstance(stored, list) or len(stored) != 2:
        return None
    return float(stored[0]), float(stored[1])


def planner_curves(run: ModelRun) -> list[planner.ChannelCurve]:
    """The run's channels with a response curve, with their draws (one query)."""
    rows = ChannelModelResult.objects.filter(
        run=run, curve__isnull=False, curve_samples__isnull=False
    ).select_related("run")
    curves = []
    for row in rows:
        curve = row.curve or {}
        curves.append(
            planner.ChannelCurve(
                slug=row.slug,
                name=row.name,
                spend=np.asarray(curve["spend"], dtype=float),
                samples=np.asarray(row.curve_samples, dtype=float),
                # Today: the last 13 weeks' pace (fits before it was stored:
                # the window's average).
                today_daily=_number(curve.get("recent_daily"), row.daily_spend or 0.0),
                margin=row.gross_margin if row.gross_margin is not None else 1.0,
                months_seen=_months_seen(curve.get("months_seen")),
            )
        )
    return sorted(curves, key=lambda c: c.slug)
