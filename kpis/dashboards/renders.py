"""Stored renders of the default dashboard views.

A recompute already did the heavy work; after it lands a worker renders the
default views once (the portfolio for each period kind, each channel's
dashboard by month) and stores the HTML of their data-bound parts, keyed by
view and visibility scope. A page with default filters then reads one stored
row; a filtered view is computed on demand, as before.

Freshness is one number: DashboardState.generation, bumped in the writing
transaction by everything that changes what a dashboard shows (a recompute
landing, objectives re-evaluated, a channel, objective or brand audit edited).
A render is served only while its generation is the current one, so a new
recompute replaces every stored view at once, atomically, when it commits;
until the worker has rendered the new generation, pages compute live and
store what they computed (read-through).

Parts never hold anything that depends on the viewer beyond the scope (no
permissions, no CSRF token): those stay in the page templates.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from channelhub.lib.queue import send_task
from channels_app.channels.models import Channel
from channels_app.channels.selectors import TEAM_SCOPE, visibility_scope
from kpis.models import ChannelDataState, DashboardRender, DashboardState, RecomputeRun

from . import attention, content
from .content import DASHBOARD_KINDS, Filters

log = logging.getLogger(__name__)

# The scopes rendered ahead of time: every role of the team sees every channel.
DASHBOARDS_RENDER_TASK = "kpis.dashboards_render"  # registered by kpis.tasks (name kept)
RENDERED_SCOPES = (TEAM_SCOPE,)
CHANNEL_DEFAULT_KIND = "month"

PORTFOLIO_PARTS = {
    "intro": "kpis/_portfolio_intro.html",
    "figures": "kpis/_portfolio_figures.html",
    "objectives": "kpis/_portfolio_objectives.html",
    "table": "kpis/_portfolio_table.html",
}
CHANNEL_PARTS = {"body": "kpis/_channel_dashboard_parts.html"}


@dataclass(frozen=True)
class DashboardView:
    """What a dashboard page shows: its snapped filters and its rendered parts."""

    filters: Filters
    parts: dict[str, SafeString]
    has_data: bool
    stored: bool  # read from the store (True) or computed for this request


@functools.cache
def code_version() -> str:
    """A fingerprint of what shapes a stored render: the part templates, the
    dashboard reads, the KPI formulas and period labels applied as they read,
    the chart builders, the template tags and formatters.
    Stored renders of another version are misses, so a deploy that changes
    how a dashboard looks never serves the old look until the next recompute."""
    from channelhub.lib import charts as shared_charts
    from channelhub.metrics import display, formulas, periods
    from channelhub.templatetags import channelhub as formatters
    from channels_app.audits import charts as channel_charts

    from . import charts, colours

    # The parts and the templates they include.
    included = [
        "kpis/_thin_note.html",
        "kpis/_comparison_deltas.html",
        "kpis/_comparison_caption.html",
    ]
    names = [*PORTFOLIO_PARTS.values(), *CHANNEL_PARTS.values(), *included]
    paths = [get_template(name).origin.name for name in names]  # type: ignore[attr-defined]
    modules = (
        content,
        formulas,
        periods,
        charts,
        colours,
        shared_charts,
        channel_charts,
        display,
        formatters,
    )
    paths += [str(module.__file__) for module in modules]
    digest = hashlib.sha1(usedforsecurity=False)
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def portfolio_key(kind: str, scope: str) -> str:
    return f"portfolio:{kind}:{scope}"


def channel_key(channel_id: int, kind: str, scope: str) -> str:
    return f"channel:{channel_id}:{kind}:{scope}"


# --- Freshness ---------------------------------------------------------------------------


def dashboards_changed(*, run_id: int | None = None) -> None:
    """Call in the transaction that changes what dashboards show: every stored
    render goes stale when it commits. A landing recompute passes its id, and
    the default views are rendered again once it has committed."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        if run_id is None:
            cursor.execute(
                "INSERT INTO kpis_dashboardstate (id, generation) VALUES (1, 1) "
                "ON CONFLICT (id) DO UPDATE SET generation = kpis_dashboardstate.generation + 1"
            )
            return
        cursor.execute(
            "INSERT INTO kpis_dashboardstate (id, generation, last_run_id, landed_at) "
            "VALUES (1, 1, %s, %s) ON CONFLICT (id) DO UPDATE SET "
            "generation = kpis_dashboardstate.generation + 1, "
            "last_run_id = excluded.last_run_id, landed_at = excluded.landed_at",
            [run_id, now],
        )
    transaction.on_commit(send_render)


def send_render() -> None:
    """Wake a worker to render the default views. A broker outage only costs
    speed: pages compute live and store what they computed."""
    send_task(DASHBOARDS_RENDER_TASK, what="dashboard renders")


def current_state() -> tuple[int, int | None]:
    """(generation, last landed run id) in one query."""
    row = DashboardState.objects.filter(pk=1).values_list("generation", "last_run_id").first()
    return row if row else (0, None)


# --- The store ---------------------------------------------------------------------------


def read(key: str) -> dict[str, Any] | None:
    """The stored payload for `key` if it is of the current generation: one query."""
    generation = DashboardState.objects.filter(pk=1).values("generation")[:1]
    return (
        DashboardRender.objects.filter(
            key=key, generation=Coalesce(Subquery(generation), 0), code_version=code_version()
        )
        .values_list("payload", flat=True)
        .first()
    )


def store(
    *, key: str, generation: int, run_id: int | None, payload: dict[str, Any], render_ms: int
) -> None:
    """Insert or replace the render of `key`, unless a newer generation is
    there; at the same generation, a render by other code is replaced."""
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO kpis_dashboardrender ("key", generation, run_id, payload, '
            "rendered_at, render_ms, code_version) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            'ON CONFLICT ("key") DO UPDATE SET generation = excluded.generation, '
            "run_id = excluded.run_id, payload = excluded.payload, "
            "rendered_at = excluded.rendered_at, render_ms = excluded.render_ms, "
            "code_version = excluded.code_version "
            "WHERE kpis_dashboardrender.generation < excluded.generation "
            "OR (kpis_dashboardrender.generation = excluded.generation "
            "AND kpis_dashboardrender.code_version <> excluded.code_version)",
            [
                key,
                generation,
                run_id,
                json.dumps(payload),
                connection.ops.adapt_datetimefield_value(timezone.now()),
                render_ms,
                code_version(),
            ],
        )


# --- Rendering ---------------------------------------------------------------------------


def _dates(filters: Filters) -> dict[str, str]:
    assert filters.start and filters.end
    return {"start": filters.start.isoformat(), "end": filters.end.isoformat()}


def render_parts(templates: dict[str, str], context: dict[str, Any]) -> dict[str, SafeString]:
    """Part templates rendered with `context`: our own templates, autoescaped."""
    return {name: mark_safe(render_to_string(t, context)) for name, t in templates.items()}


def render_portfolio(*, scope: str, filters: Filters) -> dict[str, Any]:
    """The portfolio's data-bound parts for snapped `filters`, as a payload."""
    data = content.portfolio(scope=scope, filters=filters)
    return {
        "parts": render_parts(PORTFOLIO_PARTS, {"data": data, "filters": filters}),
        "has_data": data.has_data,
        **_dates(filters),
    }


def render_channel(
    *,
    scope: str,
    channel: Channel,
    filters: Filters,
    totals_by_period: Mapping[date, Decimal] | None = None,
) -> dict[str, Any]:
    data = content.channel_dashboard(
        scope=scope, channel=channel, filters=filters, totals_by_period=totals_by_period
    )
    context = {"data": data, "filters": filters, "channel": channel}
    return {
        "parts": render_parts(CHANNEL_PARTS, context),
        "has_data": bool(data.rows),
        **_dates(filters),
    }


def _view(filters: Filters, payload: dict[str, Any], *, stored: bool) -> DashboardView:
    return DashboardView(
        filters=replace(
            filters,
            start=date.fromisoformat(payload["start"]),
            end=date.fromisoformat(payload["end"]),
        ),
        # Our own templates rendered these parts with autoescaping on.
        parts={name: mark_safe(html) for name, html in payload["parts"].items()},
        has_data=payload["has_data"],
        stored=stored,
    )


def _timed(build: Any) -> tuple[dict[str, Any], int]:
    started = time.monotonic()
    payload = build()
    return payload, round((time.monotonic() - started) * 1000)


Build = Callable[[str, Filters], dict[str, Any]]


def _stored_or_computed(
    *,
    user: Any,
    filters: Filters,
    key: Callable[[str], str],
    latest: Callable[[], date | None],
    build: Build,
) -> DashboardView:
    """A dashboard for unsnapped `filters`: from the store when they are the
    defaults and a current render is there, else built (and, for defaults with
    data, stored for the next reader). `key` names the view for a scope,
    `latest` gives the day the default range ends at (asked only when
    building), `build(scope, snapped)` renders the payload."""
    scope = visibility_scope(user=user)
    if scope is None or not filters.is_default:
        payload = build(scope or "", filters.snapped(latest()))
        return _view(filters, payload, stored=False)
    hit = read(key(scope))
    if hit is not None:
        return _view(filters, hit, stored=True)
    generation, run_id = current_state()
    snapped = filters.snapped(latest())
    payload, ms = _timed(lambda: build(scope, snapped))
    if payload["has_data"]:
        store(key=key(scope), generation=generation, run_id=run_id, payload=payload, render_ms=ms)
    return _view(filters, payload, stored=False)


def portfolio_view(*, user: Any, filters: Filters) -> DashboardView:
    return _stored_or_computed(
        user=user,
        filters=filters,
        key=lambda scope: portfolio_key(filters.kind, scope),
        latest=content.latest_fact_day,
        build=lambda scope, snapped: render_portfolio(scope=scope, filters=snapped),
    )


def channel_view(
    *, user: Any, channel: Channel, filters: Filters, state: ChannelDataState | None
) -> DashboardView:
    return _stored_or_computed(
        user=user,
        filters=filters,
        key=lambda scope: channel_key(channel.pk, filters.kind, scope),
        latest=lambda: state.last_fact_day if state else None,
        build=lambda scope, snapped: render_channel(scope=scope, channel=channel, filters=snapped),
    )


ATTENTION_CACHE_SECONDS = 600


def attention_preview(
    *, user: Any, limit: int = 6, filters: Filters | None = None
) -> list[attention.AttentionItem]:
    """The head of the attention list for the portfolio page, among the
    channels the dashboard's filters keep, cached per scope, channel filters,
    permission to open cases, day and generation (everything it reads either
    bumps the generation or is the day). Computed when the cache is
    unreachable: a Redis outage costs speed, not the page."""
    scope = visibility_scope(user=user)
    may_open = user.has_perm("partners.add_conflictcase")
    generation, run_id = current_state()
    chosen = filters or Filters()
    channel_key = f"{chosen.channel_kind}|{chosen.route}|{chosen.status}|{chosen.owner or ''}"
    key = (
        f"attention:{scope}:{int(may_open)}:{timezone.localdate()}:{generation}:{run_id}:"
        f"{hashlib.sha1(channel_key.encode(), usedforsecurity=False).hexdigest()[:12]}"
    )
    try:
        hit = cache.get(key)
    except Exception:  # any cache backend failure
        hit = None
    if hit is not None:
        return list(hit)
    channel_q = content.channel_filter(chosen)
    items = attention.attention_items(user=user, channel_q=channel_q)[:limit]
    try:
        cache.set(key, items, ATTENTION_CACHE_SECONDS)
    except Exception as exc:  # any cache backend failure
        log.warning("attention list not cached (%s)", exc)
    return items


def render_defaults() -> int | None:
    """Render and store every default view not yet current (the worker's job
    after a recompute lands). Stops early when a newer generation appears:
    the job queued by that change renders it. While more recomputes are
    queued or running (an import of many files, a burst of edits) it renders
    nothing and returns None, so the task tries again a little later: the
    views are rendered once the burst is over, and pages read through
    meanwhile. Returns how many were stored."""
    if RecomputeRun.objects.filter(
        status__in=[RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING]
    ).exists():
        return None
    generation, run_id = current_state()
    done = set(
        DashboardRender.objects.filter(
            generation=generation, code_version=code_version()
        ).values_list("key", flat=True)
    )
    latest = content.latest_fact_day()
    states = dict(ChannelDataState.objects.values_list("channel_id", "last_fact_day"))
    channels = list(Channel.objects.exclude(status=Channel.Status.RETIRED).select_related("owner"))
    # Channels whose data ends in the same month share one query of every
    # channel's revenue per period.
    totals = functools.lru_cache(maxsize=None)(content.revenue_totals)
    jobs: list[tuple[str, Any]] = []
    for scope in RENDERED_SCOPES:
        for kind in DASHBOARD_KINDS:
            snapped = Filters(kind=kind).snapped(latest)
            jobs.append(
                (
                    portfolio_key(kind, scope),
                    lambda s=scope, f=snapped: render_portfolio(scope=s, filters=f),
                )
            )
        for channel in channels:
            snapped = Filters(kind=CHANNEL_DEFAULT_KIND).snapped(states.get(channel.pk))
            jobs.append(
                (
                    channel_key(channel.pk, CHANNEL_DEFAULT_KIND, scope),
                    lambda s=scope, c=channel, f=snapped: render_channel(
                        scope=s, channel=c, filters=f, totals_by_period=totals(f)
                    ),
                )
            )
    stored = 0
    for key, build in jobs:
        if key in done:
            continue
        if current_state()[0] != generation:
            break
        payload, ms = _timed(build)
        if payload["has_data"]:
            store(key=key, generation=generation, run_id=run_id, payload=payload, render_ms=ms)
            stored += 1
    return stored
