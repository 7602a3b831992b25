"""Every chart page renders in Chromium under the Content-Security-Policy, with
no violation reported: proof that script-src and style-src can stay 'self'
(no 'unsafe-eval', no 'unsafe-inline') with Plotly and htmx."""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels_app.audits.models import BrandAudit
from partners.models import PartnerReview
from tests.browser import draw_all_charts, screenshot, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Runs before any page script, outside the page's CSP: records every violation.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} `
    + `(${e.sourceFile || ""}:${e.lineNumber || ""}) ${e.sample || ""}`);
});
"""


def _visit(page, url: str, figures: int) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.ok, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    if figures:
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # below the fold too
        try:
            page.wait_for_function(
                f"() => document.querySelectorAll('[data-figure] .main-svg').length >= {figures}",
                timeout=10000,
            )
        except Exception as exc:
            drawn = page.evaluate("document.querySelectorAll('[data-figure] .main-svg').length")
            raise AssertionError(
                f"{url}: {drawn} of {figures} charts drawn; "
                f"violations {page.evaluate('window.__cspViolations')}; "
                f"console {page.console_errors}"
            ) from exc
        # Plotly's own styles came from static/css/plotly.css, not a <style> it injected.
        styles = page.evaluate(
            "Array.from(document.querySelectorAll('style')).map(s => s.id + ':' + s.textContent.slice(0, 200) + ':' + (s.sheet ? s.sheet.cssRules.length : -1))"
        )
        assert styles == []
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('.js-plotly-plot .plotly .modebar')).position"
            )
            == "absolute"
        )
        page.hover("[data-figure] .main-svg")  # modebar and hover code paths
    page.wait_for_timeout(150)
    return page.evaluate("window.__cspViolations")


def test_chart_pages_render_under_the_csp_without_violations(demo_business, live_server, page):
    page.add_init_script(COLLECT_VIOLATIONS)
    sign_in(page, live_server, "maria", "channelhub-demo")
    review = PartnerReview.objects.select_related("partner").first()
    audit = BrandAudit.objects.select_related("channel").first()
    assert review is not None and audit is not None
    pages = [
        (reverse("home"), 4),
        (reverse("kpis:portfolio"), 4),
        (reverse("kpis:channel-dashboard", args=["web-shop"]), 2),
        (reverse("partners:detail", args=[review.partner.slug]), 1),
        (reverse("partners:conflict-dashboard"), 1),
        (reverse("channels:audits", args=[audit.channel.slug]), 1),
        (reverse("channels:list"), 0),
    ]
    violations = {}
    for url, figures in pages:
        found = _visit(page, live_server.url + url, figures)
        if found:
            violations[url] = found
    # The API docs: Swagger UI from our static files, drawn from the schema.
    _visit(page, live_server.url + reverse("api:docs"), 0)
    page.wait_for_selector(".swagger-ui .opblock")
    found = page.evaluate("window.__cspViolations")
    if found:
        violations["api docs"] = found
    # An htmx swap (filters) draws new charts under the same policy.
    page.goto(live_server.url + reverse("kpis:portfolio"))
    page.select_option("#id_period", "quarter")
    page.wait_for_url("**/?period=quarter*")
    draw_all_charts(page)
    swapped = page.evaluate("window.__cspViolations")
    if swapped:
        violations["portfolio after htmx swap"] = swapped
    screenshot(page, "csp-portfolio")
    assert violations == {}
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
