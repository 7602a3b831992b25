"""Template tags and filters: numbers formatted for people, sortable headers, charts.

Numbers are formatted by channelhub.metrics.display; the filters below are those
functions, so a page, an email and a review pack print a value the same way.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe

from channelhub.metrics import display
from channelhub.metrics.display import metric_value, raw_value

register = template.Library()

# The number filters live in channelhub.metrics.display, where services and packs
# call them too.
register.filter("money", display.money)
register.filter("money0", display.money0)
register.filter("pct", display.pct)
register.filter("number", display.number)
register.filter("metric_value", display.metric_value)
register.filter("metric_label", display.metric_label)
register.filter("delta_text", display.delta_text)
register.filter("delta_class", display.delta_class)
register.simple_tag(display.thin_rules, name="thin_rules")


@register.filter
def step_time(value: Any) -> str:
    """A job step's entry in its timings: seconds, or words (how it wrote)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{display.number(value, 3)} s"


@register.simple_tag
def metric_cells(values: Any, metrics: str, thin: Any = None) -> SafeString:
    """One table row's KPI cells: `<td class="num" data-value=raw>formatted</td>`
    per metric in `metrics` (space-separated), the raw value for sorting.
    A ratio in `thin` (formulas.thin_ratios) carries a warning mark with its
    reason. A tag rather than a loop in the template: a table of two hundred
    channels has three thousand cells, and the template engine's per-node
    cost is most of a dashboard request. Every string is escaped (stdlib
    escape)."""
    cells = []
    for metric in metrics.split():
        value = values.get(metric) if values else None
        raw, text = escape(raw_value(value)), escape(metric_value(value, metric))
        mark = thin.get(metric) if thin and value is not None else None
        if mark:
            cells.append(f'<td class="num" data-value="{raw}">{text}{thin_mark_html(mark)}</td>')
        else:
            cells.append(f'<td class="num" data-value="{raw}">{text}</td>')
    return mark_safe("".join(cells))  # every part escaped above


def thin_mark_html(thin: Any) -> str:
    """The ⚠ after a ratio over a thin base: its reason as a tooltip and, for
    screen readers, as hidden text."""
    reason = escape(display.thin_reason(thin))
    return (
        f' <span class="thin-mark" title="{reason}" aria-hidden="true">⚠</span>'
        f'<span class="visually-hidden"> ({reason})</span>'
    )


@register.simple_tag
def change_cells(comparison: Any, metrics: str) -> SafeString:
    """One cell per metric with its change against before (a Comparison of
    formulas.compare): "+10.3%", "+4.1 pts", or a dash with the reason when
    the earlier span is not comparable (thin or no earlier data)."""
    cells = []
    for metric in metrics.split():
        if comparison is None:
            cells.append('<td class="num" data-value="">—</td>')
            continue
        if not comparison.comparable:
            reason = escape(comparison.reason)
            cells.append(
                f'<td class="num muted" data-value="" title="{reason}">—'
                f'<span class="visually-hidden"> ({reason})</span></td>'
            )
            continue
        delta = comparison.changes.get(metric)
        if delta is None:
            cells.append('<td class="num" data-value="">—</td>')
            continue
        css = escape(display.delta_class(delta, metric))
        raw, text = escape(raw_value(delta)), escape(display.delta_text(delta, metric))
        cells.append(f'<td class="num delta {css}" data-value="{raw}">{text}</td>')
    return mark_safe("".join(cells))  # every part escaped above


@register.filter
def thin_mark(thin: Any) -> SafeString:
    """`{{ row.thin|get:"roi"|thin_mark }}`: the mark, or nothing."""
    return mark_safe(thin_mark_html(thin)) if thin else mark_safe("")  # escaped inside


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


@register.simple_tag(takes_context=True)
def chart(
    context: Any,
    figure: Any,
    name: str,
    filename: str = "",
    figure_id: str = "",
    chart_id: str = "",
    data_table: bool = True,
) -> SafeString:
    """A Plotly figure's JSON, the element static/js/charts.js draws it in, and
    the same figures in words: the chart is a figure named after its title
    (role="figure", not "img": Plotly's legend and toolbar stay usable inside
    it), and a folded table beside it holds its data, for people
    who cannot see the chart (and anyone who wants the exact numbers).
    Ids carry the context's `chart_ns`, so a review pack can hold many channel
    dashboards on one page; `figure_id` and `chart_id` name them outright.
    `data_table=False` where the page already shows the chart's figures in a
    table right below it."""
    from channelhub.lib.charts import compact_figure, figure_table, figure_title

    if hasattr(figure, "to_plotly_json"):
        figure = figure.to_plotly_json()
    figure = compact_figure(figure or {})
    element_id = figure_id or f"{context.get('chart_ns', '')}fig-{name}"
    title = figure_title(figure)
    headings, rows = figure_table(figure) if data_table else ([], [])
    table = ""
    if rows:
        head = "".join(format_html('<th scope="col">{}</th>', h) for h in headings)
        body = "".join(
            "<tr>"
            + format_html('<th scope="row">{}</th>', row[0])
            + "".join(format_html('<td class="num">{}</td>', cell) for cell in row[1:])
            + "</tr>"
            for row in rows
        )
        table = format_html(
            '<details class="chart-data"><summary>The figures of “{}” as a table</summary>'
            '<div class="table-wrap"><table class="table"><caption class="visually-hidden">{}'
            "</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div></details>",
            title,
            title,
            mark_safe(head),  # each part escaped by format_html above
            mark_safe(body),
        )
    described = "; its figures are in the table below it" if rows or not data_table else ""
    return format_html(
        '{}<div class="chart"{} data-figure="{}" data-filename="{}" role="figure"'
        ' aria-label="{}"></div>{}',
        json_script(figure, element_id),
        format_html(' id="{}"', chart_id) if chart_id else "",
        element_id,
        filename or name,
        f"Chart: {title}{described}",
        table,
    )


@register.filter
def duration_minutes(value: Any) -> str:
    """A timedelta as whole minutes for people: "15 minutes", "1 minute"."""
    if value is None or value == "":
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@register.filter
def seconds_for_people(value: Any) -> str:
    """Seconds as people say them: "40 seconds", "3 minutes", "1 hour 5 minutes"."""
    if value is None or value == "":
        return ""
    seconds = round(float(value))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, minutes = divmod(minutes, 60)
    text = f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{text} {minutes} minute{'s' if minutes != 1 else ''}" if minutes else text


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
