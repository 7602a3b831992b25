"""Every main page of every role, in Chromium on the demo data:

- axe-core (axe-playwright-python, which bundles it: nothing is fetched) finds
  no critical and no serious accessibility violation;
- the page never scrolls sideways, neither on a laptop (1366 px) nor on a
  phone (390 px): wide tables scroll inside their own region;
- a screenshot of each page at both sizes lands in test-artifacts/screens/
  (look at them after a layout change).

The pages are listed in tests/screens.py: add a new page there. One seeded
database and one browser serve the whole walk; the keyboard tests use a few
factory rows.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from channels_app.channels.models import Channel
from tests.browser import ARTIFACTS, draw_all_charts, sign_in
from tests.screens import MAIN_PAGES, PASSWORD, PUBLIC_PAGES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = ARTIFACTS / "screens"
BLOCKING = ("critical", "serious")


def _settle(page: Any) -> None:
    """Wait until every chart is drawn, those below the fold too."""
    page.wait_for_load_state("load")
    if page.locator("[data-figure]").count():
        page.wait_for_selector("html[data-charts-drawn]", state="attached")
        draw_all_charts(page)


@functools.cache
def _axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()  # reads axe-core's script once


def _violations(page: Any) -> list[str]:
    found = _axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in found
        if v["impact"] in BLOCKING
    ]


def _overflow(page: Any) -> str:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    if width <= viewport:
        return ""
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('body *'))"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".slice(0, 3).map(e => e.tagName + '.' + e.className)"
    )
    return f"{width} px wide in a {viewport} px window ({', '.join(wide)})"


def _shoot(page: Any, size: str, user: str | None, path: str) -> None:
    name = f"{size}-{user or 'anonymous'}{path}".strip("/").replace("/", "_")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _walk(browser: Any, base: str, user: str | None, paths: list[str], problems: list[str]) -> None:
    """Each page is loaded once on a laptop (axe, width, screenshot), then the
    window narrows to a phone's: CSS alone lays the page out again, as it
    would on a phone. A page with charts is loaded again at that size,
    because charts.js shapes a chart for the width it is drawn at."""
    context = browser.new_context(viewport=SIZES["laptop"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if user:
        sign_in(page, _Server(base), user, PASSWORD)
    for path in paths:
        where = f"{user or 'anonymous'} {path}"
        page.set_viewport_size(SIZES["laptop"])
        response = page.goto(base + path)
        if response is None or response.status != 200:
            problems.append(f"{where}: HTTP {response.status if response else '?'}")
            continue
        _settle(page)
        if wide := _overflow(page):
            problems.append(f"{where} (laptop): the page scrolls sideways, {wide}")
        problems += [f"{where} (laptop): {v}" for v in _violations(page)]
        _shoot(page, "laptop", user, path)

        page.set_viewport_size(SIZES["phone"])
        if page.locator("[data-figure]").count():
            page.reload()
            _settle(page)
        else:
            _tables_relabelled(page)
        if wide := _overflow(page):
            problems.append(f"{where} (phone): the page scrolls sideways, {wide}")
        _shoot(page, "phone", user, path)
    problems += [f"{user or 'anonymous'}: script error {e}" for e in errors]
    context.close()


def _tables_relabelled(page: Any) -> None:
    """app.js marks, a moment after a resize, the tables that now scroll
    sideways (a focusable region with a name): wait until it has."""
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.table-wrap')).every("
        "w => (w.scrollWidth > w.clientWidth + 1) === w.classList.contains('scrolls'))"
    )


class _Server:
    def __init__(self, url: str) -> None:
        self.url = url


def test_every_main_page_is_accessible_and_fits_a_laptop_and_a_phone(
    demo_business, browser, live_server
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    _walk(browser, live_server.url, None, PUBLIC_PAGES, problems)
    for user, paths in MAIN_PAGES.items():
        _walk(browser, live_server.url, user, paths, problems)
    assert problems == [], "\n".join(problems)


def _tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until `selector` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_signing_in_and_adding_a_channel_work_with_the_keyboard_alone(
    browser, live_server, marketing_user
):
    marketing_user.set_password(PASSWORD)
    marketing_user.save()
    context = browser.new_context(viewport=SIZES["laptop"])
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("#id_username")).to_be_focused()  # autofocus
    page.keyboard.type(marketing_user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.wait_for_selector("text=Sign out")

    page.goto(f"{live_server.url}/channels/new/")
    # The skip link is the first stop and leads past the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    _tab_to(page, "#id_name", limit=8)
    page.keyboard.type("Pop-up Store")
    for field in ("#id_kind", "#id_route", "#id_reach", "#id_status"):
        _tab_to(page, field, limit=5)
        page.keyboard.press("ArrowDown")  # the first choice after "---------"
    _tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Channel “Pop-up Store” created.")
    channel = Channel.objects.get(name="Pop-up Store")
    assert channel.slug == "pop-up-store" and channel.kind and channel.status
    context.close()


def test_the_phone_menu_opens_and_closes_with_its_button(browser, live_server, marketing_user):
    marketing_user.set_password(PASSWORD)
    marketing_user.save()
    context = browser.new_context(viewport=SIZES["phone"])
    page = context.new_page()
    sign_in(page, live_server, marketing_user.username, PASSWORD)
    menu = page.locator("#site-menu")
    toggle = page.locator(".nav-toggle")
    expect(toggle).to_be_visible()
    expect(menu).to_be_hidden()
    toggle.click()
    expect(menu).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#site-menu nav a", has_text="Channels")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.set_viewport_size(SIZES["laptop"])
    expect(menu).to_be_visible()  # a laptop shows the menu
    expect(toggle).to_be_hidden()
    context.close()
