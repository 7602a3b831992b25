"""The dashboards: the portfolio (the home page of managers and viewers), a
channel's dashboard, and the attention list."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from channelhub.lib.views import AuthedRequest, check_perm, role_required
from channels_app.channels import selectors as channels_selectors
from kpis.engine.exports import portfolio_table_rows, write_csv
from kpis.engine.selectors import channel_data_state, stale_figures, stale_figures_of
from kpis.modeling.selectors import modeled_figures

from . import attention, compare, content, renders
from .content import Filters
from .forms import CompareForm, DashboardFilterForm


def _filter_form(request: AuthedRequest) -> DashboardFilterForm:
    data = request.GET.copy()
    data.setdefault("period", "month")
    return DashboardFilterForm(data)


def _dashboard_filters(request: AuthedRequest) -> tuple[DashboardFilterForm, Filters]:
    form = _filter_form(request)
    filters = form.filters().snapped(content.latest_fact_day())
    return form, filters


def portfolio_page(request: AuthedRequest, extra: dict | None = None) -> HttpResponse:
    """The portfolio dashboard: the home page of managers and viewers. The
    default view is read from the store (kpis.dashboards.renders); a filtered one is
    computed."""
    check_perm(request, "kpis.view_kpisnapshot")
    form = _filter_form(request)
    view = renders.portfolio_view(user=request.user, filters=form.filters())
    context = {
        "form": form,
        "filters": view.filters,
        "parts": view.parts,
        "has_data": view.has_data,
        "attention": renders.attention_preview(user=request.user, filters=view.filters),
        "stale": stale_figures(channels=channels_selectors.channel_list(user=request.user)),
        # The live model's figures beside the attributed ones (one query; read live,
        # never part of a stored render).
        "modeled": sorted(modeled_figures().values(), key=lambda r: (r.name.lower(), r.slug)),
        **(extra or {}),
    }
    if request.htmx:
        return render(request, "kpis/_portfolio_body.html", context)
    return render(request, "kpis/portfolio.html", context)


@role_required
def portfolio_view(request: AuthedRequest) -> HttpResponse:
    return portfolio_page(request)


@role_required
def portfolio_table_csv(request: AuthedRequest) -> HttpResponse:
    """The dashboard's channel table as CSV: the same numbers, one row per channel."""
    check_perm(request, "kpis.view_kpisnapshot")
    _, filters = _dashboard_filters(request)
    data = content.portfolio(user=request.user, filters=filters)
    out = HttpResponse(content_type="text/csv; charset=utf-8")
    write_csv(out, portfolio_table_rows(data.table, filters))
    out["Content-Disposition"] = (
        f'attachment; filename="portfolio-{filters.kind}-{filters.start}-{filters.end}.csv"'
    )
    return out


@role_required
def channel_dashboard_view(request: AuthedRequest, slug: str) -> HttpResponse:
    check_perm(request, "kpis.view_kpisnapshot")
    channel = get_object_or_404(channels_selectors.channel_list(user=request.user), slug=slug)
    form = _filter_form(request)
    state = channel_data_state(channel)
    view = renders.channel_view(
        user=request.user, channel=channel, filters=form.filters(), state=state
    )
    context = {
        "form": form,
        "channel": channel,
        "state": state,
        "stale": stale_figures_of(state),
        "modeled": modeled_figures().get(channel.pk),
        "filters": view.filters,
        "parts": view.parts,
    }
    if request.htmx:
        return render(request, "kpis/_channel_dashboard_body.html", context)
    return render(request, "kpis/channel_dashboard.html", context)


@role_required
def attention_view(request: AuthedRequest) -> HttpResponse:
    """The attention list among the channels the dashboard's filters keep
    (the portfolio's "Full list" carries them), with its thresholds in words."""
    check_perm(request, "kpis.view_kpisnapshot")
    form = _filter_form(request)
    filters = form.filters()
    items = attention.attention_items(user=request.user, channel_q=content.channel_filter(filters))
    stale = stale_figures(channels=channels_selectors.channel_list(user=request.user))
    context = {
        "items": items,
        "stale": stale,
        "filters": filters,
        "filtered": bool(filters.channel_kind or filters.route or filters.status or filters.owner),
        "thresholds": attention.Thresholds.current(),
    }
    return render(request, "kpis/attention.html", context)


@role_required
def compare_view(request: AuthedRequest) -> HttpResponse:
    """Compare channels: 2 to 6 channels side by side, all in the URL (a GET
    form), so a comparison can be bookmarked and shared."""
    check_perm(request, "kpis.view_kpisnapshot")
    channels = channels_selectors.channel_list(user=request.user)
    form = CompareForm(request.GET or None, channels=channels)
    result = None
    if form.is_bound:
        form.is_valid()  # a bad date falls back to its default; bad channels stop here
        if "channel" not in form.errors:
            filters = form.filters().snapped(content.latest_fact_day())
            result = compare.compare_channels(filters=filters, chosen=form.cleaned_data["channel"])
    return render(
        request,
        "kpis/compare.html",
        {
            "form": form,
            "result": result,
            "min_channels": compare.MIN_CHANNELS,
            "max_channels": compare.MAX_CHANNELS,
        },
    )
