"""Scheduled ROI review packs: content, archive, schedule, email (issue 9)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from unittest import mock

import pytest
from django.core import mail
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import timezone

from channels_app.channels.models import Channel
from channels_app.channels.selectors import TEAM_SCOPE
from kpis.dashboards import content as dashboards
from kpis.dashboards.content import Filters
from kpis.engine.recompute import recompute_execute, recompute_request
from kpis.models import ObjectiveStatus, PackRender, RecomputeRun, ReviewPack
from kpis.packs import services as packs
from kpis.packs.content import pack_filters
from kpis.packs.forms import ReviewPackForm
from kpis.tests.helpers import (
    DUE,
    aware,
    dispatch_and_render,
    execute,
    import_rows,
    make_pack,
    settle,
)
from tests.factories import ChannelFactory, ObjectiveFactory, UserFactory

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "spend", "revenue", "cogs"]


@pytest.fixture
def business():
    shop = ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce")
    ads = ChannelFactory(name="Google Ads", slug="google-ads", kind="paid_search")
    events = ChannelFactory(name="Events", slug="events", kind="events")
    import_rows(HEADER, [
        ["2025-01-10", "web-shop", "100", "500", "200"],
        ["2025-02-10", "web-shop", "100", "300", "100"],
        ["2025-03-10", "web-shop", "100", "150", "100"],
        ["2025-04-10", "web-shop", "100", "250", "50"],
        ["2025-01-10", "google-ads", "200", "150", "50"],
        ["2025-02-10", "google-ads", "200", "100", "50"],
        ["2025-03-10", "google-ads", "100", "200", "50"],
        ["2025-04-10", "google-ads", "100", "200", "50"],
        ["2025-03-10", "events", "150", "100", "0"],
        ["2025-04-10", "events", "150", "100", "0"],
    ])  # fmt: skip
    settle()
    return shop, ads, events


def figure(html: str, element_id: str) -> dict:
    match = re.search(
        rf'<script id="{re.escape(element_id)}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no figure {element_id} in the pack"
    return json.loads(match.group(1))


def as_json(value: dict) -> dict:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


# --- Periods and cadence -------------------------------------------------------------------


def test_a_pack_covers_whole_periods_finished_before_its_day():
    pack = ReviewPack(period_kind="month", periods=2)
    assert pack_filters(pack, date(2025, 5, 5)) == Filters(
        kind="month", start=date(2025, 3, 1), end=date(2025, 4, 30)
    )
    weekly = ReviewPack(period_kind="week", periods=1)
    assert pack_filters(weekly, date(2025, 5, 5)) == Filters(
        kind="week", start=date(2025, 4, 28), end=date(2025, 5, 4)
    )


@pytest.mark.parametrize(
    ("cadence", "now", "slot", "due"),
    [
        ("weekly", datetime(2025, 5, 7, 12), "2025-W19", datetime(2025, 5, 5, 7)),
        ("weekly", datetime(2025, 5, 5, 6), "2025-W18", datetime(2025, 4, 28, 7)),  # before 07:00
        ("monthly", datetime(2025, 5, 20, 9), "2025-05", datetime(2025, 5, 5, 7)),
        ("monthly", datetime(2025, 1, 3, 9), "2024-12", datetime(2024, 12, 5, 7)),
        ("quarterly", datetime(2025, 5, 20, 9), "2025-Q2", datetime(2025, 4, 5, 7)),
        ("quarterly", datetime(2025, 1, 2, 9), "2024-Q4", datetime(2024, 10, 5, 7)),
    ],
)
def test_the_cadence_slot_that_has_come(cadence, now, slot, due):
    pack = ReviewPack(cadence=cadence, weekday=0, day_of_month=5, send_hour=7)
    assert packs.current_slot(pack, aware(now)) == (slot, aware(due))


def test_quarterly_packs_follow_the_fiscal_quarters(settings):
    """With a fiscal year from February, quarters start in Feb, May, Aug and
    Nov: the pack comes on the 5th of those months and covers the fiscal
    quarter just finished."""
    settings.FISCAL_YEAR_START_MONTH = 2
    pack = ReviewPack(
        cadence="quarterly", day_of_month=5, send_hour=7, period_kind="quarter", periods=1
    )
    slot, due = packs.current_slot(pack, aware(datetime(2025, 5, 20, 9)))
    assert (slot, due) == ("2026-Q2", aware(datetime(2025, 5, 5, 7)))  # FY2026 runs Feb-Jan
    assert packs.current_slot(pack, aware(datetime(2025, 5, 3)))[1] == aware(
        datetime(2025, 2, 5, 7)
    )
    assert packs.next_slot_at(pack, aware(datetime(2025, 5, 20))) == aware(datetime(2025, 8, 5, 7))
    assert pack_filters(pack, due.date()) == Filters(
        kind="quarter", start=date(2025, 2, 1), end=date(2025, 4, 30)
    )


def test_the_next_slot_follows_the_current_one():
    pack = ReviewPack(cadence="quarterly", day_of_month=5, send_hour=7)
    assert packs.next_slot_at(pack, aware(datetime(2025, 11, 20))) == aware(datetime(2026, 1, 5, 7))


# --- Content -------------------------------------------------------------------------------


def test_the_pack_holds_the_right_channels_periods_and_summary(business):
    make_pack()
    render = dispatch_and_render()
    assert render.status == PackRender.Status.RENDERED  # nobody subscribed: nothing to send
    assert render.slot == "2025-05"
    assert (render.period_start, render.period_end) == (date(2025, 3, 1), date(2025, 4, 30))
    assert render.channel_count == 3
    summary = render.summary
    assert summary[0].startswith("3 channels, ")
    assert "revenue $1,000.00 on a total cost of $700.00, ROI 7.1% (-1.2 points" in summary[0]
    assert "Largest ROI gain: Google Ads, -62.5% → 50.0% (+112.5 points)." in summary
    assert "Largest ROI drop: Web Shop, 150.0% → 25.0% (-125.0 points)." in summary
    assert "Below break-even (ROI under 0%): Events (-33.3%)." in summary
    html = render.html_file.read().decode()
    for sentence in summary:
        assert sentence.replace("→", "→") in html.replace("&#x27;", "'")
    assert f"recompute run #{render.data_run_number}" in html
    assert render.data_run_number == RecomputeRun.objects.latest("pk").pk
    csv_rows = render.csv_file.read().decode().splitlines()
    assert csv_rows[0].startswith("channel,channel_name,period,period_start")
    assert sorted(r.split(",")[0] for r in csv_rows[1:]) == ["events", "google-ads", "web-shop"]


def test_the_pack_charts_carry_the_dashboard_builders_numbers(business):
    shop, _ads, _events = business
    make_pack()
    render = dispatch_and_render()
    html = render.html_file.read().decode()
    filters = Filters(kind="month", start=date(2025, 3, 1), end=date(2025, 4, 30))
    board = dashboards.portfolio(scope=TEAM_SCOPE, filters=filters)
    for name, element in [("roi_by_channel", "fig-roi-by-channel"), ("roi_trend", "fig-roi-trend")]:
        assert figure(html, element) == as_json(board.figures[name])
    channel = dashboards.channel_dashboard(scope=TEAM_SCOPE, channel=shop, filters=filters)
    assert figure(html, f"c{shop.pk}-fig-trend") == as_json(channel.figures["trend"])
    # Plotly.js is inlined once; nothing is fetched from anywhere.
    assert html.count("<script>") == 2
    assert 'src="http' not in html and "<link" not in html


def test_a_pack_of_some_kinds_includes_only_those_channels(business):
    make_pack(channel_selection="kinds", channel_kinds=["ecommerce", "events"])
    render = dispatch_and_render()
    assert render.channel_count == 2
    html = render.html_file.read().decode()
    assert "Google Ads" not in html and "Web Shop" in html and "Events" in html


def test_a_pack_of_a_list_leaves_out_a_channel_retired_since(business):
    shop, ads, _ = business
    pack = make_pack(channel_selection="list")
    pack.channels.set([shop, ads])
    Channel.objects.filter(pk=ads.pk).update(status=Channel.Status.RETIRED)
    render = dispatch_and_render()
    assert render.channel_count == 1
    html = render.html_file.read().decode()
    assert "Web Shop" in html and "Google Ads" not in html
    assert set(pack.channels.all()) == {shop, ads}  # kept on the list, for if it comes back


def test_objectives_newly_at_risk_are_named_once(business):
    shop, _, _ = business
    pack = make_pack(cadence="weekly", weekday=0)
    objective = ObjectiveFactory(
        channel=shop, start_date=date(2025, 3, 1), end_date=date(2027, 12, 31)
    )
    ObjectiveStatus.objects.update_or_create(objective=objective, defaults={"status": "at_risk"})
    first = dispatch_and_render()
    assert "Objectives at risk: Web Shop Revenue ≥ $100,000.00 (at risk)." in first.summary
    second = dispatch_and_render(datetime(2025, 5, 12, 8))
    assert second.pack == pack and second.slot == "2025-W20"
    assert "No objective is newly at risk since the last pack." in second.summary


# --- Archive ---------------------------------------------------------------------------------


def test_the_archived_file_does_not_change_when_the_data_does(business):
    make_pack()
    render = dispatch_and_render()
    before = render.html_file.read()
    import_rows(HEADER, [["2025-04-11", "web-shop", "0", "9999", "0"]])
    settle()
    render.refresh_from_db()
    with render.html_file.open("rb") as f:
        assert f.read() == before
    assert "9,999" not in before.decode()
    preview = packs.pack_render_request(pack=render.pack, user=None)
    preview = execute(preview.pk)
    assert preview.html_file.name != render.html_file.name


# --- Schedule -----------------------------------------------------------------------------------


def test_due_packs_render_once_per_slot_even_if_beat_fires_twice(business):
    make_pack()
    assert len(packs.packs_dispatch(now=aware(DUE))) == 1
    assert packs.packs_dispatch(now=aware(DUE)) == []
    assert packs.packs_dispatch(now=aware(datetime(2025, 5, 20))) == []
    assert PackRender.objects.count() == 1
    assert len(packs.packs_dispatch(now=aware(datetime(2025, 6, 5, 7)))) == 1  # next slot


def test_an_inactive_pack_or_one_created_after_the_slot_is_not_dispatched(business):
    make_pack(is_active=False)
    fresh = ReviewPack.objects.create(name="New", cadence="monthly", day_of_month=5)
    assert fresh.created_at > aware(DUE)
    assert packs.packs_dispatch(now=aware(DUE)) == []


def test_a_pack_never_renders_before_the_recompute_it_depends_on_has_finished(business):
    make_pack()
    import_rows(HEADER, [["2025-04-12", "web-shop", "0", "1000", "0"]])
    run = RecomputeRun.objects.filter(status="queued").latest("pk")  # the import's recompute
    [render] = packs.packs_dispatch(now=aware(DUE))
    waiting = execute(render.pk)
    assert waiting.status == PackRender.Status.WAITING
    assert f"recompute #{run.pk}" in waiting.error and not waiting.html_file
    recompute_execute(run.pk, inline=True)
    assert packs.resume_waiting() == 1
    done = execute(render.pk)
    assert done.status == PackRender.Status.RENDERED
    assert done.data_run_number == run.pk
    assert "$2,000.00" in done.summary[0]  # revenue 1000 + the late 1000


def test_a_recompute_queued_after_the_pack_does_not_hold_it(business):
    make_pack()
    [render] = packs.packs_dispatch(now=aware(DUE))
    recompute_request(trigger="manual")
    assert packs.pack_render_execute(render.pk).status == PackRender.Status.RENDERED


def test_a_pack_waiting_too_long_fails(business, settings):
    make_pack()
    [render] = packs.packs_dispatch(now=aware(DUE))
    recompute_request(trigger="manual")
    PackRender.objects.filter(pk=render.pk).update(created_at=aware(datetime(2025, 5, 5, 7, 30)))
    RecomputeRun.objects.update(created_at=aware(datetime(2025, 5, 5, 7)))
    assert packs.pack_render_execute(render.pk).status == PackRender.Status.WAITING
    packs.packs_dispatch(now=aware(datetime(2025, 5, 5, 7 + settings.PACK_MAX_WAIT_HOURS + 1)))
    render.refresh_from_db()
    assert render.status == PackRender.Status.FAILED and "Waited more than" in render.error


def test_a_render_claimed_by_another_worker_is_left_alone(business):
    make_pack()
    [render] = packs.packs_dispatch(now=aware(DUE))
    PackRender.objects.filter(pk=render.pk).update(
        status="rendering", lease_expires_at=timezone.now() + packs.LEASE
    )
    assert packs.pack_render_execute(render.pk) is None
    assert not PackRender.objects.get(pk=render.pk).html_file


# --- Email -----------------------------------------------------------------------------------


@pytest.fixture
def subscribed(business):
    pack = make_pack()
    maria = UserFactory(username="maria2", email="maria@example.com", role="marketing_manager")
    tom = UserFactory(username="tom2", email="tom@example.com", role="viewer")
    pack.subscribers.set([maria.pk, tom.pk])
    pack.extra_emails = "board@example.com\nTOM@example.com"
    pack.save()
    return pack


def test_each_subscriber_gets_one_email_with_the_pack_attached(subscribed):
    render = dispatch_and_render()
    assert render.status == PackRender.Status.SENT
    assert sorted(m.to[0] for m in mail.outbox) == [
        "board@example.com",
        "maria@example.com",
        "tom@example.com",
    ]
    message = mail.outbox[0]
    assert message.subject.startswith("Monthly ROI review: ")
    assert "Largest ROI drop: Web Shop" in message.body
    names = [a[0] for a in message.attachments]
    assert len(names) == 2 and names[0].endswith(".html") and names[1].endswith(".csv")
    with render.html_file.open("rb") as f:
        assert message.attachments[0][1] == f.read().decode()
    assert render.sent_to == render.recipients


def test_a_partner_user_or_someone_whose_role_was_taken_is_never_sent_a_pack(subscribed):
    """A partner user could be picked as a subscriber and was mailed every
    channel's figures; so was someone whose role was taken away."""
    nina = UserFactory(username="nina2", email="nina@partner.example", role="partner_user")
    former = UserFactory(username="former", email="former@example.com")
    offered = ReviewPackForm().fields["subscribers"].queryset
    assert nina not in offered and former not in offered
    assert {"maria2", "tom2"} <= {u.username for u in offered}
    subscribed.subscribers.add(nina, former)
    render = dispatch_and_render()
    assert render.status == PackRender.Status.SENT
    sent = sorted(m.to[0] for m in mail.outbox)
    assert sent == ["board@example.com", "maria@example.com", "tom@example.com"]


def test_a_linked_pack_sends_the_link_instead(subscribed, settings):
    settings.SITE_URL = "https://channelhub.example.com"
    subscribed.delivery = ReviewPack.Delivery.LINK
    subscribed.save()
    render = dispatch_and_render()
    message = mail.outbox[0]
    assert message.attachments == []
    assert (
        f"https://channelhub.example.com/kpis/packs/renders/{render.pk}/pack.html" in message.body
    )


def test_a_pack_too_big_to_attach_is_linked(subscribed, settings):
    settings.PACK_ATTACH_MAX_BYTES = 1000
    dispatch_and_render()
    assert mail.outbox[0].attachments == []
    assert "/pack.html" in mail.outbox[0].body


def test_a_failed_render_is_retried_then_marked_failed_and_sends_nothing(subscribed, settings):
    [render] = packs.packs_dispatch(now=aware(DUE))
    with mock.patch("kpis.packs.services.build", side_effect=RuntimeError("chart builder broke")):
        for _ in range(settings.PACK_MAX_ATTEMPTS - 1):
            with pytest.raises(packs.RetryLater):
                packs.pack_render_execute(render.pk)
            assert PackRender.objects.get(pk=render.pk).status == PackRender.Status.QUEUED
        failed = execute(render.pk)
    assert failed.status == PackRender.Status.FAILED
    assert "chart builder broke" in failed.error
    assert mail.outbox == [] and not failed.html_file


def test_a_failed_send_is_retried_without_mailing_anyone_twice(subscribed):
    [render] = packs.packs_dispatch(now=aware(DUE))
    real_send = mail.EmailMultiAlternatives.send
    calls = {"n": 0}

    def flaky(message, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionRefusedError("SMTP server down")
        return real_send(message, *args, **kwargs)

    with mock.patch.object(mail.EmailMultiAlternatives, "send", flaky):
        with pytest.raises(packs.RetryLater):
            packs.pack_render_execute(render.pk)
        assert PackRender.objects.get(pk=render.pk).status == PackRender.Status.SENDING
        assert len(mail.outbox) == 1
        done = execute(render.pk)
    assert done.status == PackRender.Status.SENT
    assert sorted(m.to[0] for m in mail.outbox) == sorted(done.recipients)


def test_a_preview_is_archived_and_sent_to_nobody(subscribed):
    preview = packs.pack_render_request(pack=subscribed, user=None)
    preview = execute(preview.pk)
    assert preview.status == PackRender.Status.RENDERED and preview.is_preview
    assert preview.html_file and mail.outbox == []


# --- Pages ---------------------------------------------------------------------------------


def test_a_marketing_manager_defines_a_pack(marketing_client, business):
    shop, ads, _ = business
    response = marketing_client.post(
        reverse("kpis:pack-create"),
        {
            "name": "Weekly paid review",
            "cadence": "weekly",
            "weekday": "0",
            "day_of_month": "1",
            "send_hour": "7",
            "period_kind": "week",
            "periods": "4",
            "channel_selection": "list",
            "channels": [shop.pk, ads.pk],
            "extra_emails": "cfo@example.com",
            "delivery": "attach",
            "is_active": "on",
        },
    )
    pack = ReviewPack.objects.get(name="Weekly paid review")
    assert response.status_code == 302 and response.url == pack.get_absolute_url()
    assert set(pack.channels.all()) == {shop, ads}
    detail = marketing_client.get(pack.get_absolute_url())
    assert "Every Monday after 07:00" in detail.text and "cfo@example.com" in detail.text
    assert "Render now" in detail.text


def test_the_pack_form_explains_what_is_wrong(marketing_client, business):
    response = marketing_client.post(
        reverse("kpis:pack-create"),
        {
            "name": "Bad",
            "cadence": "monthly",
            "weekday": "0",
            "day_of_month": "31",
            "send_hour": "7",
            "period_kind": "month",
            "periods": "0",
            "channel_selection": "kinds",
            "extra_emails": "not-an-address",
            "delivery": "attach",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"day_of_month", "periods", "channel_kinds", "extra_emails"}
    assert "Not an email address: not-an-address." in response.text
    assert 'value="Bad"' in response.text  # what the user typed is kept
    assert not ReviewPack.objects.exists()


@pytest.mark.parametrize("periods", ["-3", "0"])
def test_a_count_below_one_is_told_the_same_limit(marketing_client, business, periods):
    """-3 was told "greater than or equal to 0", then 0 "... to 1"."""
    response = marketing_client.post(
        reverse("kpis:pack-create"),
        {"name": "Few", "cadence": "monthly", "day_of_month": "5", "send_hour": "7",
         "period_kind": "month", "periods": periods, "channel_selection": "all",
         "delivery": "attach"},
    )  # fmt: skip
    assert response.context["form"].errors["periods"] == [
        "Ensure this value is greater than or equal to 1."
    ]


def test_render_now_is_limited_per_user(marketing_client, business, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "pack_render": "1/hour"}
    pack = make_pack()
    url = reverse("kpis:pack-render-now", args=[pack.pk])
    assert marketing_client.post(url).status_code == 302
    refused = marketing_client.post(url)
    assert refused.status_code == 429
    assert "render a review pack now once an hour" in refused.text
    assert PackRender.objects.filter(pack=pack).count() == 1


def test_render_now_previews_and_the_archive_serves_the_file(marketing_client, business):
    pack = make_pack()
    response = marketing_client.post(reverse("kpis:pack-render-now", args=[pack.pk]))
    preview = PackRender.objects.get(pack=pack)
    assert response.status_code == 302 and response.url == preview.get_absolute_url()
    preview = execute(preview.pk)
    assert preview.data_run_number is not None
    page = marketing_client.get(preview.get_absolute_url())
    # A preview covers the whole months before today, as the next pack would:
    # the fixture's 2025 data is older than that.
    assert "No included channel has KPIs for" in page.text
    opened = marketing_client.get(reverse("kpis:pack-file", args=[preview.pk]))
    assert opened.status_code == 200
    assert opened["Content-Security-Policy"].startswith("sandbox allow-scripts")
    assert b"Monthly ROI review" in b"".join(opened.streaming_content)
    download = marketing_client.get(reverse("kpis:pack-file", args=[preview.pk]), {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment;")
    csv = marketing_client.get(reverse("kpis:pack-csv", args=[preview.pk]))
    assert b"channel,channel_name" in b"".join(csv.streaming_content)
    archive = marketing_client.get(pack.get_absolute_url())
    assert "Preview" in archive.text and f"run #{preview.data_run_number}" in archive.text


def test_a_viewer_reads_packs_but_changes_nothing(viewer_client, business):
    pack = make_pack()
    assert viewer_client.get(reverse("kpis:packs")).status_code == 200
    detail = viewer_client.get(pack.get_absolute_url())
    assert (
        detail.status_code == 200 and "Render now" not in detail.text and "Edit" not in detail.text
    )
    for url in (
        reverse("kpis:pack-create"),
        reverse("kpis:pack-edit", args=[pack.pk]),
        reverse("kpis:pack-delete", args=[pack.pk]),
        reverse("kpis:pack-render-now", args=[pack.pk]),
    ):
        assert viewer_client.post(url, {"name": "x"}).status_code == 403, url
    assert ReviewPack.objects.get().name == "Monthly ROI review"
    assert not PackRender.objects.exists()


def test_a_partner_manager_may_not_define_packs(partner_client, business):
    assert partner_client.get(reverse("kpis:pack-create")).status_code == 403


def test_the_pack_list_is_empty_then_shows_packs_and_their_last_render(marketing_client, business):
    empty = marketing_client.get(reverse("kpis:packs"))
    assert "No review pack yet" in empty.text
    make_pack()
    dispatch_and_render()
    listing = marketing_client.get(reverse("kpis:packs"))
    assert "Monthly ROI review" in listing.text and "Monthly on day 5 after 07:00" in listing.text
    assert "rendered" in listing.text


def test_deleting_a_pack_deletes_its_archive(marketing_client, business):
    pack = make_pack()
    render = dispatch_and_render()
    path = render.html_file.path
    response = marketing_client.post(reverse("kpis:pack-delete", args=[pack.pk]))
    assert response.status_code == 302
    assert not ReviewPack.objects.exists() and not PackRender.objects.exists()
    import os

    assert not os.path.exists(path)


def test_a_pack_says_its_figures_are_stale_when_the_latest_recompute_failed(business, monkeypatch):
    """As the dashboards do (kpis.engine.selectors.stale_figures): in the summary,
    which the email repeats, and above the figures, with the error and the run."""
    from kpis.engine import recompute as recompute_module

    def boom(**kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(recompute_module, "objectives_evaluate", boom)
        run = recompute_request(trigger=RecomputeRun.Trigger.SCHEDULE)
        with pytest.raises(RuntimeError):
            recompute_execute(run.pk, inline=True)
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.FAILED

    make_pack()
    render = dispatch_and_render()
    assert render.status == PackRender.Status.RENDERED
    first = render.summary[0]
    assert first.startswith("Stale figures: the figures in this pack are from ")
    assert "(3 channels)" in first and f"the last recompute (#{run.pk}) failed: disk full" in first
    html = render.html_file.read().decode()
    assert 'id="stale-figures"' in html and f"See recompute #{run.pk}" in html

    # A later successful recompute: the next pack says nothing of it.
    recompute_execute(recompute_request(trigger=RecomputeRun.Trigger.MANUAL).pk, inline=True)
    preview = execute(packs.pack_render_request(pack=ReviewPack.objects.get(), user=None).pk)
    assert not any(s.startswith("Stale figures") for s in preview.summary)
    assert 'id="stale-figures"' not in preview.html_file.read().decode()


def test_the_pack_list_counts_other_addresses_beside_the_subscribers(subscribed, viewer_client):
    text = viewer_client.get(reverse("kpis:packs")).text
    assert "+ 2 other addresses" in text
