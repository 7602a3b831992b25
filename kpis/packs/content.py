"""What a review pack holds: the content of one rendered pack.

A pack is built with the dashboards' own builders (kpis.dashboards.content
and the part templates the pages use), so its numbers and charts are the app's. It is
one self-contained HTML file: the app's CSS inlined, Plotly.js inlined once,
every figure as JSON next to the element that draws it. It opens offline in
any browser; links go back to the app through <base href=SITE_URL>.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from channelhub.metrics import periods
from channelhub.metrics.display import metric_value, money, pct
from channelhub.metrics.formulas import AT_RISK, OFF_TRACK
from channels_app.channels.models import Channel, ChannelObjective
from channels_app.channels.selectors import TEAM_SCOPE
from kpis.dashboards import content as dashboards
from kpis.dashboards.attention import attention_items
from kpis.dashboards.content import Filters, Portfolio
from kpis.dashboards.renders import CHANNEL_PARTS, PORTFOLIO_PARTS, render_parts
from kpis.engine.exports import portfolio_table_rows, write_csv
from kpis.engine.selectors import StaleFigures, stale_figures
from kpis.models import PackRender, ReviewPack

AT_RISK_STATUSES = (AT_RISK, OFF_TRACK)


@dataclass
class PackContent:
    html: str
    csv: str
    summary: list[str]
    objective_statuses: dict[str, str]
    channel_count: int
    filters: Filters


def pack_filters(pack: ReviewPack, on: date) -> Filters:
    """The pack's whole periods: `pack.periods` of its kind, the last one being
    the last period finished before the one containing `on`."""
    kind = pack.period_kind
    end = periods.period_start(kind, on) - timedelta(days=1)
    start = periods.period_start(kind, end)
    for _ in range(pack.periods - 1):
        start = periods.previous_start(kind, start)
    return Filters(kind=kind, start=start, end=end)


def pack_channels(pack: ReviewPack) -> QuerySet[Channel]:
    """The channels a render covers: never a retired one, whichever way the
    pack chooses them (a list keeps it, to cover it again if it comes back)."""
    if pack.channel_selection == ReviewPack.Selection.LIST:
        return pack.channels.exclude(status=Channel.Status.RETIRED)
    channels = Channel.objects.exclude(status=Channel.Status.RETIRED)
    if pack.channel_selection == ReviewPack.Selection.KINDS:
        channels = channels.filter(kind__in=pack.channel_kinds or [])
    return channels


def range_text(filters: Filters) -> str:
    assert filters.start and filters.end
    first = periods.label(filters.kind, filters.start)
    last = periods.label(filters.kind, periods.period_start(filters.kind, filters.end))
    return first if first == last else f"{first} to {last}"


# --- The written summary -------------------------------------------------------------------


def _points(delta: Decimal) -> str:
    return f"{delta * 100:+.1f} points"


def _objective_text(o: ChannelObjective) -> str:
    target = metric_value(o.target, o.metric)
    status = o.evaluation.get_status_display().lower()
    return f"{o.channel.name} {o.metric_label} {o.direction_symbol} {target} ({status})"


def summary_sentences(
    *,
    data: Portfolio,
    previous_statuses: dict[str, str] | None,
) -> list[str]:
    """Plain sentences generated from the numbers: the headline, the largest
    ROI gain and drop against the same span before (the dashboards' own
    comparison, docs/metrics.md s7), channels below break-even, and objectives
    newly at risk since the last pack. `data` is built with channel_changes."""
    filters = data.filters
    count = len(list(periods.periods_between(filters.kind, filters.start, filters.end)))  # type: ignore[arg-type]
    span = f"{count} {filters.kind}{'s' if count > 1 else ''}"
    h = data.headline
    before = data.comparison.before
    sentences = []
    if not data.table:
        sentences.append(f"No included channel has KPIs for {range_text(filters)}.")
    else:
        headline = (
            f"{len(data.table)} channel{'s' if len(data.table) > 1 else ''}, "
            f"{range_text(filters)}: revenue {money(h['revenue'])} on a total cost of "
            f"{money(h['total_cost'])}, ROI {pct(h['roi'])}"
        )
        roi_change = before.changes.get("roi")
        if roi_change is not None:
            headline += f" ({_points(roi_change)} against the {span} before)"
        elif not before.comparable and before.earlier_days:
            headline += f" (against the {span} before: {before.reason})"
        sentences.append(headline + ".")
    changes = []
    for t in data.table:
        channel_before = data.comparison.channels_before.get(t.channel.pk)
        if channel_before is None or channel_before.changes.get("roi") is None:
            continue
        changes.append((t.channel.name, channel_before.earlier["roi"], t.values["roi"]))
    gains = sorted((c for c in changes if c[2] > c[1]), key=lambda c: c[2] - c[1], reverse=True)
    drops = sorted((c for c in changes if c[2] < c[1]), key=lambda c: c[2] - c[1])
    if gains:
        name, old, new = gains[0]
        sentences.append(
            f"Largest ROI gain: {name}, {pct(old)} → {pct(new)} ({_points(new - old)})."
        )
    if drops:
        name, old, new = drops[0]
        sentences.append(
            f"Largest ROI drop: {name}, {pct(old)} → {pct(new)} ({_points(new - old)})."
        )
    if data.table and not changes:
        sentences.append(
            f"No channel has an ROI in the {span} before with enough days of data to compare with."
        )
    below = sorted(
        (t for t in data.table if t.values["roi"] is not None and t.values["roi"] < 0),
        key=lambda t: t.values["roi"],
    )
    if below:
        names = ", ".join(f"{t.channel.name} ({pct(t.values['roi'])})" for t in below)
        sentences.append(f"Below break-even (ROI under 0%): {names}.")
    elif data.table:
        sentences.append("Every channel with an ROI is at or above break-even.")
    at_risk = [
        o
        for o in data.objectives
        if getattr(o, "evaluation", None) is not None and o.evaluation.status in AT_RISK_STATUSES
    ]
    new = [
        o
        for o in at_risk
        if previous_statuses is None or previous_statuses.get(str(o.pk)) not in AT_RISK_STATUSES
    ]
    if new:
        label = "Objectives at risk" if previous_statuses is None else "Objectives newly at risk"
        items = "; ".join(_objective_text(o) for o in new)
        sentences.append(f"{label}: {items}.")
    elif data.objectives:
        sentences.append(
            "No objective is at risk."
            if not at_risk
            else "No objective is newly at risk since the last pack."
        )
    return sentences


# --- The file --------------------------------------------------------------------------


def stale_sentence(stale: StaleFigures) -> str:
    """The pack's words for figures whose latest recompute failed."""
    when = (
        f"are from {timezone.localtime(stale.figures_from):%Y-%m-%d %H:%M}"
        if stale.figures_from
        else "have not been computed yet"
    )
    channels = f" ({stale.channels} channels)" if stale.channels > 1 else ""
    error = (stale.run.error or "no error recorded").strip()
    if len(error) > 300:
        error = error[:299] + "…"
    return (
        f"Stale figures: the figures in this pack {when}{channels}; the last recompute "
        f"(#{stale.run.pk}) failed: {error}. Newer facts are not counted until a "
        "recompute succeeds."
    )


def _static_text(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"static file {path} not found")
    text = Path(str(found)).read_text(encoding="utf-8")
    # Inside <script>/<style> only "</" could end the element early.
    return text.replace("</script", "<\\/script").replace("</style", "<\\/style")


def build(
    *,
    pack: ReviewPack,
    render: PackRender,
    filters: Filters,
    previous_statuses: dict[str, str] | None,
) -> PackContent:
    """Everything one pack holds, for the given whole periods."""
    channel_ids = list(pack_channels(pack).values_list("pk", flat=True))
    data = dashboards.portfolio(
        scope=TEAM_SCOPE, filters=filters, channel_ids=channel_ids, channel_changes=True
    )
    summary = summary_sentences(data=data, previous_statuses=previous_statuses)
    # As on the dashboards: figures whose latest recompute failed are said to be stale,
    # first in the summary (which the email repeats) and above the figures.
    stale = stale_figures(channels=Channel.objects.filter(pk__in=channel_ids))
    if stale:
        summary = [stale_sentence(stale), *summary]
    sections = []
    totals_by_period = dashboards.revenue_totals(filters)  # the same for every channel
    for total in data.table:
        board = dashboards.channel_dashboard(
            scope=TEAM_SCOPE,
            channel=total.channel,
            filters=filters,
            totals_by_period=totals_by_period,
        )
        context = {
            "data": board,
            "filters": filters,
            "channel": total.channel,
            "chart_ns": f"c{total.channel.pk}-",
        }
        sections.append({"channel": total.channel, "parts": render_parts(CHANNEL_PARTS, context)})
    attention = attention_items(scope=TEAM_SCOPE, channel_ids=channel_ids)
    html = render_to_string(
        "kpis/pack/pack.html",
        {
            "pack": pack,
            "render": render,
            "filters": filters,
            "range_text": range_text(filters),
            "summary": summary,
            "stale": stale,
            "parts": render_parts(PORTFOLIO_PARTS, {"data": data, "filters": filters}),
            "has_data": data.has_data,
            "attention": attention,
            "sections": sections,
            "site_url": settings.SITE_URL,
            "rendered_at": timezone.now(),
            "css": mark_safe(_static_text("css/app.css")),
            "plotly_js": mark_safe(_static_text("vendor/plotly.min.js")),
            "charts_js": mark_safe(_static_text("js/charts.js")),
        },
    )
    out = io.StringIO()
    write_csv(out, portfolio_table_rows(data.table, filters))
    statuses = {
        str(o.pk): o.evaluation.status
        for o in data.objectives
        if getattr(o, "evaluation", None) is not None
    }
    return PackContent(
        html=html,
        csv=out.getvalue(),
        summary=summary,
        objective_statuses=statuses,
        channel_count=len(channel_ids),
        filters=filters,
    )
