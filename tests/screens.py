"""The main pages of each role, as the accessibility and screen-size tests walk
them (tests/test_accessibility.py, tests/test_screen_sizes.py) on the demo data
(`seed_demo`).

A new page joins both tests by adding its path here, under the demo user who
uses it. Paths name demo objects by slug; pages that need an object's id are
resolved when the test runs (see `resolve`).
"""

from __future__ import annotations

from tests.browser import CHROMIUM_ARGS  # noqa: F401  (re-exported for bench/browser.py)

PASSWORD = "channelhub-demo"

# Demo user -> paths of the pages that user works on.
MAIN_PAGES: dict[str, list[str]] = {
    # Marketing manager: dashboards, channels, objectives, imports, packs.
    "maria": [
        "/kpis/dashboard/",
        "/kpis/dashboard/channels/web-shop/",
        "/kpis/dashboard/attention/",
        "/channels/",
        "/channels/web-shop/",
        "/channels/new/",
        "/channels/objectives/",
        "/channels/audits/",
        "/kpis/import/",
        "/kpis/imports/",
        "/kpis/feedback/",
        "/kpis/packs/",
        "/kpis/dashboard/compare/?channel=web-shop&channel=amazon",
        "/kpis/alerts/",
        "/kpis/modeled-roi/",
        "/kpis/modeled-roi/planner/",
        "/kpis/modeled-roi/lift-tests/new/",
        "/channels/library/",
    ],
    # Partner manager: the home page's worklists, partners, deals, conflicts.
    "paul": [
        "/",
        "/partners/",
        "/partners/brandwave-agency/",
        "/partners/deals/",
        "/partners/conflicts/",
        "/partners/conflicts/dashboard/",
        "/partners/reviews/",
        "/partners/incentives/",
        "/partners/tiers/proposals/",
    ],
    # Partner user: the partner portal.
    "nina": [
        "/portal/",
        "/portal/deals/",
        "/portal/deals/new/",
        "/portal/messages/",
        "/portal/funds/",
        "/portal/training/",
        "/portal/contracts/",
        "/portal/library/",
    ],
    # Administrator: the jobs and the profile page.
    "admin": [
        "/kpis/runs/",
        "/accounts/profile/",
    ],
}

# Pages anyone sees before signing in.
PUBLIC_PAGES = ["/accounts/login/", "/accounts/password_reset/"]
