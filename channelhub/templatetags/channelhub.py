"""Presentation helpers: numbers formatted for people, sortable headers.

Formatting happens only here, at the edge; everything below works with exact
Decimals (METRICS.md: compute exactly, round only for output).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import Any

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe

from kpis.formulas import METRICS

register = template.Library()

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "AUD": "A$",
    "CAD": "C$",
}


def _group(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


@register.filter
def money(value: Any, places: int = 2) -> str:
    """1234.5 -> $1,234.50 (the reporting currency); empty stays an em dash."""
    if value is None or value == "":
        return "—"
    amount = Decimal(str(value))
    code = settings.REPORTING_CURRENCY
    sign = "-" if amount < 0 else ""
    body = _group(abs(amount), int(places))
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {code}"


@register.filter
def money0(value: Any) -> str:
    return money(value, 0)


@register.filter
def pct(value: Any, places: int = 1) -> str:
    """A fraction as a percentage: 0.1234 -> 12.3%."""
    if value is None or value == "":
        return "—"
    return f"{_group(Decimal(str(value)) * 100, int(places))}%"


@register.filter
def number(value: Any, places: int = 0) -> str:
    if value is None or value == "":
        return "—"
    return _group(Decimal(str(value)), int(places))


@register.filter
def metric_value(value: Any, metric: str) -> str:
    """Format a KPI value by its unit (money, count, percent, multiple, score)."""
    if value is None or value == "":
        return "—"
    unit = METRICS[metric].unit
    if unit == "money":
        return money(value)
    if unit == "count":
        return number(value)
    if unit == "percent":
        return pct(value)
    if unit == "multiple":
        return f"{number(value, 2)}×"
    return number(value, 1 if metric == "nps" else 2)


def _raw(value: Any) -> str:
    """A value as plain digits for a sortable cell's data-value (no exponent)."""
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


@register.simple_tag
def metric_cells(values: Any, metrics: str) -> SafeString:
    """One table row's KPI cells: `<td class="num" data-value=raw>formatted</td>`
    per metric in `metrics` (space-separated), the raw value for sorting.
    A tag rather than a loop in the template: a table of two hundred channels
    has three thousand cells, and the template engine's per-node cost is most
    of a dashboard request. Both strings are escaped (stdlib escape)."""
    cells = []
    for metric in metrics.split():
        value = values.get(metric) if values else None
        raw, text = escape(_raw(value)), escape(metric_value(value, metric))
        cells.append(f'<td class="num" data-value="{raw}">{text}</td>')
    return mark_safe("".join(cells))  # both parts escaped above


@register.filter
def metric_label(metric: str) -> str:
    return METRICS[metric].label if metric in METRICS else metric


@register.filter
def progress_width(value: Any) -> int:
    """Width in % of a progress bar for a progress fraction (capped at 100)."""
    if value is None or value == "":
        return 0
    return max(0, min(100, int(Decimal(str(value)) * 100)))


@register.simple_tag(takes_context=True)
def sort_th(context: dict[str, Any], field: str, label: str, css: str = "") -> SafeString:
    """A table header that sorts by `field` and toggles direction on a second click."""
    request: HttpRequest = context["request"]
    current = request.GET.get("sort", "")
    if current == field:
        target, arrow, sorted_cls = f"-{field}", " ▲", "sorted"
    elif current == f"-{field}":
        target, arrow, sorted_cls = field, " ▼", "sorted"
    else:
        target, arrow, sorted_cls = field, "", ""
    params = request.GET.copy()
    params["sort"] = target
    params.pop("page", None)
    return format_html(
        '<th class="{}"><a class="{}" href="?{}">{}{}</a></th>',
        css,
        sorted_cls,
        params.urlencode(),
        label,
        arrow,
    )


@register.filter
def person(user: Any) -> str:
    """A user's full name, else their username; an em dash for nobody."""
    if not user:
        return "—"
    return user.get_full_name() or user.get_username()


@register.filter
def split(value: str) -> list[str]:
    return value.split()


@register.filter
def get(mapping: Any, key: str) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def delta_text(value: Any, metric: str) -> str:
    """A change against the previous range (METRICS.md s3): sums relative (%),
    ratios as the difference of the values, in the ratio's own unit."""
    if value is None or value == "":
        return "—"
    d = Decimal(str(value))
    sign = "+" if d > 0 else ("−" if d < 0 else "±")
    m = METRICS[metric]
    if m.additive:
        return f"{sign}{_group(abs(d) * 100, 1)}% vs before"
    if m.unit == "percent":
        return f"{sign}{_group(abs(d) * 100, 1)} pts vs before"
    if m.unit == "money":
        return f"{sign}{money(abs(d))} vs before"
    return f"{sign}{_group(abs(d), 2)} vs before"


@register.filter
def delta_class(value: Any, metric: str) -> str:
    """`up` when the change is good news, `down` when bad (lower is better for costs)."""
    if value is None or value == "" or Decimal(str(value)) == 0:
        return ""
    better = Decimal(str(value)) < 0 if METRICS[metric].lower_is_better else Decimal(str(value)) > 0
    return "up" if better else "down"


@register.filter
def cents(value: Any) -> str:
    """Integer cents (from a database sum) as money."""
    if value is None or value == "":
        return "—"
    return money(Decimal(int(value)) / 100)


@register.simple_tag(takes_context=True)
def chart(context: Any, figure: Any, name: str, filename: str = "") -> SafeString:
    """A Plotly figure's JSON and the element static/js/charts.js draws it in.
    Ids carry the context's `chart_ns`, so a review pack can hold many channel
    dashboards on one page."""
    element_id = f"{context.get('chart_ns', '')}fig-{name}"
    return format_html(
        '{}<div class="chart" data-figure="{}" data-filename="{}"></div>',
        json_script(figure, element_id),
        element_id,
        filename or name,
    )


@register.filter
def duration_minutes(value: Any) -> str:
    """A timedelta as whole minutes for people: "15 minutes", "1 minute"."""
    if value is None or value == "":
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@register.simple_tag
def plotly_stylesheets() -> SafeString:
    """Plotly.js's styles as static files, under the element ids where Plotly.js
    looks for them before it would inject inline <style> (blocked by our CSP)."""
    from django.templatetags.static import static

    from channelhub.lib.plotly_css import stylesheet_ids

    return SafeString(
        "".join(
            format_html(
                '<link rel="stylesheet" id="{}" class="no-inline-styles" href="{}">',
                element_id,
                static(path),
            )
            for path, element_id in stylesheet_ids().items()
        )
    )
