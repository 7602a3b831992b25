"""The screenshots of docs/user-guide.md, taken by walking the guide's steps in
Chromium on the demo data, so that the pictures stay true to the product.

Every run writes them to test-artifacts/guide/. With UPDATE_GUIDE_SCREENSHOTS=1
they are also copied into docs/img/ (commit them):

    UPDATE_GUIDE_SCREENSHOTS=1 .venv/bin/pytest tests/test_user_guide_screenshots.py -p no:xdist

The guide must show exactly the screenshots this test takes: a picture the
guide names that no step takes (or the other way round) fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels_app.channels.models import Channel, ChannelObjective
from kpis.models import DailyFact
from kpis.tests.helpers import csv_bytes
from partners.models import Interaction
from tests.browser import ARTIFACTS, draw_all_charts, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDE = DOCS / "user-guide.md"
IMAGES = DOCS / "img"
SHOTS = ARTIFACTS / "guide"
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "channelhub-demo"  # channelhub.demo.DEMO_PASSWORD, as the guide prints it
CHART = "[data-figure='{}'] .main-svg"


class Camera:
    """Viewport-sized PNGs into test-artifacts/guide/ (and docs/img/ when asked)."""

    def __init__(self) -> None:
        self.update = os.environ.get("UPDATE_GUIDE_SCREENSHOTS") == "1"
        self.taken: list[str] = []
        SHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(self, page: Any, name: str) -> None:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        if self.update:
            IMAGES.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, IMAGES / path.name)
        self.taken.append(name)


@pytest.fixture
def signed_in(browser: Any, live_server: Any) -> Iterator[Any]:
    """`signed_in("maria")` -> a page of a fresh browser context, signed in."""
    contexts: list[Any] = []

    def open_as(username: str) -> Any:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        sign_in(page, live_server, username, PASSWORD)
        return page

    yield open_as
    for context in contexts:
        context.close()


def _guide_images() -> set[str]:
    return set(re.findall(r"\(img/(guide-[a-z0-9-]+)\.png\)", GUIDE.read_text()))


def test_the_user_guide_steps_work_and_its_screenshots_are_taken(
    demo_business: None, signed_in: Any, live_server: Any, tmp_path: Path
) -> None:
    camera = Camera()
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in range(7, 0, -1)]  # the last 7 days

    # --- Maria, marketing manager ------------------------------------------------------
    maria = signed_in("maria")
    maria.wait_for_selector(CHART.format("fig-roi-by-channel"))
    assert maria.locator("h1").inner_text() == "Channel portfolio"
    headline = maria.locator(".headline .stat")
    assert headline.count() == 6 and "ROI" in headline.nth(3).inner_text()
    camera.shoot(maria, "guide-maria-portfolio")

    # Add a channel.
    maria.click("nav >> text=Channels")
    maria.wait_for_url("**/channels/")
    maria.click("text=+ New channel")
    maria.wait_for_url("**/channels/new/")
    maria.fill("#id_name", "Pop-up Store")
    maria.select_option("#id_kind", "retail_store")
    maria.select_option("#id_route", "direct")
    maria.select_option("#id_reach", "offline")
    maria.select_option("#id_status", "active")
    maria.fill("#id_target_segment", "Shoppers in the city centre")
    camera.shoot(maria, "guide-maria-new-channel")
    maria.click("button:has-text('Create channel')")
    maria.wait_for_selector("text=Channel “Pop-up Store” created.")
    assert Channel.objects.get(name="Pop-up Store").slug == "pop-up-store"

    # Import a week of its daily facts: first a file with mistakes, then a good one.
    columns = ["date", "channel", "spend", "revenue", "cogs", "orders"]
    bad = tmp_path / "pop-up-week.csv"
    bad.write_bytes(
        csv_bytes(
            columns,
            [
                [days[0].isoformat(), "pop-up-store", "-120", "900", "400", "12"],
                [days[1].isoformat(), "popup-store", "120", "950", "420", "13"],
                [days[2].strftime("%d/%m/%Y"), "pop-up-store", "120", "1O20", "450", "14"],
            ],
        )
    )
    good = tmp_path / "pop-up-week-fixed.csv"
    good.write_bytes(
        csv_bytes(
            columns,
            [
                [d.isoformat(), "pop-up-store", "120", str(900 + 20 * i), "400", str(12 + i)]
                for i, d in enumerate(days)
            ],
        )
    )
    maria.click("nav >> text=Import")
    maria.wait_for_url("**/kpis/import/")
    maria.set_input_files("#id_file", str(bad))
    maria.click("button:has-text('Check and import')")
    maria.wait_for_selector("text=Why the file was rejected")
    report = maria.locator("table").last
    for reason in ("must be 0 or more", "unknown channel", "not a date", "not a number"):
        expect(report.locator("td", has_text=reason)).to_have_count(1)
    camera.shoot(maria, "guide-maria-import-rejected")
    assert not DailyFact.objects.filter(channel__slug="pop-up-store").exists()

    maria.click("text=Import another file")
    maria.wait_for_url("**/kpis/import/")
    maria.set_input_files("#id_file", str(good))
    maria.click("button:has-text('Check and import')")
    maria.wait_for_selector("text=7 row(s) added")
    camera.shoot(maria, "guide-maria-import-done")
    assert DailyFact.objects.filter(channel__slug="pop-up-store").count() == 7

    # Give the channel an objective; the channel page shows it with its status.
    maria.goto(f"{live_server.url}/channels/pop-up-store/")
    maria.click("text=+ Add objective >> nth=0")
    maria.wait_for_url("**/pop-up-store/objectives/new/")
    maria.select_option("#id_metric", "revenue")
    maria.fill("#id_target", "25000")
    maria.fill("#id_start_date", days[0].isoformat())
    maria.fill("#id_end_date", (days[0] + timedelta(days=29)).isoformat())
    maria.fill("#id_description", "First month of the pop-up")
    maria.click("button:has-text('Add objective')")
    maria.wait_for_selector("text=Objective added.")
    objective = maria.locator("tr", has_text="First month of the pop-up")
    expect(objective).to_have_count(1)
    evaluation = ChannelObjective.objects.get(channel__slug="pop-up-store").evaluation
    assert evaluation.get_status_display() in objective.inner_text()
    # The KPIs of the imported week at the top, the objective under them.
    maria.locator("h2", has_text="KPIs by").evaluate("e => e.scrollIntoView({block: 'start'})")
    camera.shoot(maria, "guide-maria-objective")

    # Read one channel's dashboard.
    maria.goto(f"{live_server.url}/kpis/dashboard/channels/web-shop/")
    maria.wait_for_selector(CHART.format("fig-trend"))
    assert maria.locator("h1", has_text="Web Shop").count() == 1
    camera.shoot(maria, "guide-maria-channel-dashboard")
    assert maria.console_errors == []

    # --- Paul, partner manager ---------------------------------------------------------
    paul = signed_in("paul")
    paul.wait_for_selector("text=What needs you today")
    assert paul.get_by_text("Reviews due").count() >= 1
    camera.shoot(paul, "guide-paul-today")

    # The home page has an Apply button too, and the unfiltered list a Brandwave
    # Agency row: wait for the list, then for the filtered page Apply loads,
    # before clicking on either.
    paul.click("nav >> text=Partners")
    paul.wait_for_url("**/partners/")
    paul.fill("input[name=q]", "Brandwave")
    with paul.expect_event("load"):
        paul.click("button:has-text('Apply')")
    expect(paul).to_have_url(re.compile(r"/partners/\?(.*&)?q=Brandwave"))
    paul.click("table >> text=Brandwave Agency")
    paul.wait_for_url("**/partners/brandwave-agency/")
    paul.wait_for_selector("h2:has-text('Scorecard')")
    expect(paul.locator("h1", has_text="Brandwave Agency")).to_have_count(1)
    camera.shoot(paul, "guide-paul-partner")

    paul.click("text=+ Log interaction >> nth=0")
    paul.wait_for_url("**/partners/brandwave-agency/interactions/new/**")
    paul.select_option("#id_kind", "call")
    paul.fill("#id_summary", "Went through the rebate figures for November.")
    paul.fill("#id_next_step", "Send the corrected rebate statement")
    paul.select_option("#id_contacts", index=0)
    paul.fill("#id_follow_up_on", (today + timedelta(days=7)).isoformat())
    paul.locator("#id_follow_up_on").blur()
    camera.shoot(paul, "guide-paul-interaction")
    paul.click("main button[type=submit]")
    paul.wait_for_selector("text=Interaction logged.")
    logged = Interaction.objects.filter(partner__slug="brandwave-agency").order_by("-pk").first()
    assert logged is not None and logged.next_step == "Send the corrected rebate statement"
    assert paul.console_errors == []

    # --- Vera, viewer -------------------------------------------------------------------
    vera = signed_in("vera")
    vera.wait_for_selector(CHART.format("fig-roi-by-channel"))
    assert vera.locator("nav >> text=Import").count() == 0  # viewers import nothing
    vera.select_option("#id_period", "quarter")
    vera.wait_for_url("**period=quarter*")
    draw_all_charts(vera)
    vera.wait_for_function(
        "() => Array.from(document.querySelectorAll(\"[data-figure='fig-roi-trend'] .xtick text\")).some(t => t.textContent.startsWith('FY'))"
    )
    table = vera.locator("#channel-table")
    assert table.locator("a", has_text="Download CSV").count() == 1
    assert table.locator("tbody tr").count() >= 10
    table.evaluate("e => e.scrollIntoView({block: 'start'})")
    camera.shoot(vera, "guide-vera-channel-table")

    vera.goto(f"{live_server.url}/channels/web-shop/")
    vera.wait_for_selector("text=KPIs by month")
    assert vera.locator("main a:text-is('Edit')").count() == 0  # nothing to change
    assert vera.locator("text=+ Add objective").count() == 0
    camera.shoot(vera, "guide-vera-channel")
    assert vera.console_errors == []

    assert sorted(camera.taken) == sorted(_guide_images()), "guide and screenshots differ"
    if not camera.update:
        missing = [n for n in camera.taken if not (IMAGES / f"{n}.png").exists()]
        assert not missing, f"run with UPDATE_GUIDE_SCREENSHOTS=1 to add {missing}"
