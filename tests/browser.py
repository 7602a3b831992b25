"""Playwright + Debian's chromium for browser tests (no `playwright install`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def sign_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    # The click returns once the form is sent: wait for the page signing in leads
    # to (a login page that still shows a session's "Sign out" is no proof).
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    # Attached, not visible: on a phone it waits behind the Menu button.
    page.wait_for_selector("text=Sign out", state="attached")


def sign_out(page) -> None:
    """Sign out and wait for the sign-in page: a goto started while the sign-out
    is under way cancels it, and the session would outlive the test's step."""
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/accounts/login/")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def htmx_settled(page) -> None:
    """Wait until no htmx request is in flight and its swap has settled: the
    response can reach Playwright before the page has swapped it in, and an
    input filled in between is replaced by the swap's empty one."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def draw_all_charts(page) -> None:
    """Draw the charts below the fold too (static/js/charts.js draws those
    when scrolled to, and all of them before printing), and wait for them."""
    page.wait_for_load_state("load")
    htmx_settled(page)  # the new charts are in the page
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('[data-figure]'))"
        ".every(e => e.dataset.rendered === 'true')"
    )
