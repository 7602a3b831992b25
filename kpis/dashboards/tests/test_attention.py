"""The attention list beyond ROI: cannibalisation hints, open conflicts and
overdue brand audits, each linked to where to act, in a fixed number of queries."""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kpis.dashboards.attention import attention_items
from kpis.tests.helpers import import_rows, recompute
from partners.models import ConflictCase
from tests.factories import ChannelFactory, ConflictCaseFactory, PartnerFactory, make_audit

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "spend", "revenue"]
TODAY = date(2025, 3, 5)


def _monthly(slug: str, january: int, february: int) -> list[list[object]]:
    # Facts on the last day of each month, so both months are complete.
    return [["2025-01-31", slug, "10", str(january)], ["2025-02-28", slug, "10", str(february)]]


@pytest.fixture
def segment():
    """Four channels selling to young families (spelt three ways), one to
    businesses. Shop grows 30%; Stores fall 20%; Catalogue falls 10%; B2B falls
    50% but sells to another segment."""
    for slug, name, segment_name in [
        ("shop", "Web shop", "Young families"),
        ("stores", "Retail stores", "young  families"),
        ("catalogue", "Catalogue", "YOUNG FAMILIES "),
        ("b2b", "B2B desk", "Businesses"),
    ]:
        ChannelFactory(slug=slug, name=name, target_segment=segment_name)
    ChannelFactory(slug="blank", name="No segment", target_segment="")
    rows = [
        *_monthly("shop", 1000, 1300),
        *_monthly("stores", 1000, 800),
        *_monthly("catalogue", 1000, 900),
        *_monthly("b2b", 1000, 500),
        *_monthly("blank", 1000, 100),
    ]
    import_rows(HEADER, rows)
    recompute()


def _kinds(items, kind):
    return [i for i in items if i.kind == kind]


def test_a_falling_channel_beside_a_growing_one_in_the_same_segment_is_a_hint(
    segment, marketing_user, settings
):
    settings.ATTENTION_CANNIBALISATION_PCT = 15
    hints = _kinds(attention_items(user=marketing_user, today=TODAY), "cannibalisation")
    assert [h.title for h in hints] == [
        "Retail stores: revenue -20% in 2025-02 while Web shop (+30%) grew"
    ]
    hint = hints[0]
    assert hint.url == reverse("kpis:channel-dashboard", args=["stores"])
    assert "young  families" in hint.detail
    # The hint is not a case: none is opened, but one is a click away, prefilled.
    assert not ConflictCase.objects.exists()
    assert hint.action is not None
    label, url = hint.action
    query = parse_qs(urlparse(url).query)
    assert label == "Open a case" and urlparse(url).path == reverse("partners:conflict-create")
    assert query["kind"] == ["cannibalisation"] and query["channel"] == ["stores", "shop"]


def test_the_threshold_is_a_setting(segment, marketing_user, settings):
    settings.ATTENTION_CANNIBALISATION_PCT = 5
    titles = [
        h.title
        for h in _kinds(attention_items(user=marketing_user, today=TODAY), "cannibalisation")
    ]
    assert [t.split(":")[0] for t in titles] == ["Retail stores", "Catalogue"]
    settings.ATTENTION_CANNIBALISATION_PCT = 25
    assert not _kinds(attention_items(user=marketing_user, today=TODAY), "cannibalisation")


def test_no_hint_without_a_growing_sibling(marketing_user):
    ChannelFactory(slug="a", name="A", target_segment="Students")
    ChannelFactory(slug="b", name="B", target_segment="Students")
    import_rows(HEADER, [*_monthly("a", 1000, 500), *_monthly("b", 1000, 600)])
    recompute()
    assert not _kinds(attention_items(user=marketing_user, today=TODAY), "cannibalisation")


def test_a_viewer_sees_the_hint_without_the_link_to_open_a_case(segment, viewer_user):
    hints = _kinds(attention_items(user=viewer_user, today=TODAY), "cannibalisation")
    assert hints and hints[0].action is None


def test_the_case_form_opens_prefilled_from_the_hint(segment, marketing_client):
    url = reverse("partners:conflict-create")
    response = marketing_client.get(
        url, {"kind": "cannibalisation", "channel": ["stores", "shop"], "title": "Losing?"}
    )
    form = response.context["form"]
    assert form.initial["kind"] == "cannibalisation" and form.initial["title"] == "Losing?"
    assert sorted(c.slug for c in form.initial["channels"]) == ["shop", "stores"]
    # An unknown kind is ignored rather than trusted.
    response = marketing_client.get(url, {"kind": "nonsense"})
    assert response.context["form"].initial["kind"] == "other"


def test_open_conflicts_are_listed_per_channel_with_their_severity(viewer_user):
    shop = ChannelFactory(slug="shop", name="Web shop")
    stores = ChannelFactory(slug="stores", name="Retail stores")
    ChannelFactory(slug="quiet", name="Quiet")
    partner = PartnerFactory(channel=shop)
    ConflictCaseFactory(partners=[partner], severity="high")
    ConflictCaseFactory(partners=[partner], severity="low")
    calm = ConflictCaseFactory(severity="low")
    calm.channels.set([stores])
    ConflictCaseFactory(
        partners=[PartnerFactory(channel=stores)],
        status="resolved",
        opened_at=timezone.now() - timedelta(days=3),
        closed_at=timezone.now(),
    )
    conflicts = _kinds(attention_items(user=viewer_user, today=TODAY), "conflict")
    assert [(c.title, c.severity, c.detail) for c in conflicts] == [
        ("Retail stores: 1 open conflict case", "warn", "None high or critical."),
        ("Web shop: 2 open conflict cases", "bad", "1 high or critical."),
    ]
    query = parse_qs(urlparse(conflicts[1].url).query)
    assert query == {"channel": [str(shop.pk)], "state": ["open"]}


def test_overdue_brand_audits_are_listed(viewer_user):
    today = date(2025, 6, 1)
    late = ChannelFactory(slug="late", name="Late", start_date=date(2024, 1, 1))
    make_audit(late, today - timedelta(days=120))
    ChannelFactory(slug="never", name="Never", start_date=date(2024, 1, 1))
    fresh = ChannelFactory(slug="fresh", name="Fresh", start_date=date(2024, 1, 1))
    make_audit(fresh, today - timedelta(days=10))
    audits = _kinds(attention_items(user=viewer_user, today=today), "audit")
    assert [(a.title, a.detail) for a in audits] == [
        ("Never: brand audit overdue", "Never audited."),
        ("Late: brand audit overdue", "Last audit 2025-02-01, due 2025-05-02."),
    ]
    assert audits[1].url == reverse("channels:audits", args=["late"])


def test_the_attention_page_shows_the_new_items_and_the_action_link(segment, marketing_client):
    response = marketing_client.get(reverse("kpis:attention"))
    assert "Retail stores: revenue -20%" in response.text
    assert "Open a case" in response.text


def _count_queries(user) -> int:
    attention_items(user=user, today=TODAY)  # the user's permissions are cached from here on
    with CaptureQueriesContext(connection) as ctx:
        attention_items(user=user, today=TODAY)
    return len(ctx.captured_queries)


def test_the_attention_list_runs_a_fixed_number_of_queries(segment, viewer_user):
    few = _count_queries(viewer_user)
    for i in range(6):
        channel = ChannelFactory(slug=f"more-{i}", target_segment="Young families")
        ConflictCaseFactory(partners=[PartnerFactory(channel=channel)])
        make_audit(channel, date(2024, 1, 1))
    import_rows(HEADER, [r for i in range(6) for r in _monthly(f"more-{i}", 1000, 700)])
    recompute()
    assert len(_kinds(attention_items(user=viewer_user, today=TODAY), "cannibalisation")) == 7
    assert _count_queries(viewer_user) == few


# --- Noise thresholds and filters (issue 17 item 6) ----------------------------------------

ROI_HEADER = ["date", "channel", "spend", "revenue", "cogs"]


def _roi_months(slug: str, january_profit: int, february_profit: int) -> list[list[object]]:
    # Cost 100 each month: ROI = (gross profit - 100) / 100.
    return [
        ["2025-01-31", slug, "100", str(january_profit), "0"],
        ["2025-02-28", slug, "100", str(february_profit), "0"],
    ]


def test_an_roi_drop_must_exceed_both_ten_points_and_a_fifth_of_its_level(marketing_user, settings):
    settings.ATTENTION_ROI_DROP_POINTS = 10
    settings.ATTENTION_ROI_DROP_PCT = 20
    for slug in ("high", "mid", "small", "negative"):
        ChannelFactory(slug=slug, name=slug.title())
    import_rows(ROI_HEADER, [
        *_roi_months("high", 697, 679),  # 597% -> 579%: 18 points, 3% of its level
        *_roi_months("mid", 150, 135),  # 50% -> 35%: 15 points, 30% of its level
        *_roi_months("small", 150, 141),  # 50% -> 41%: 9 points only
        *_roi_months("negative", 80, 60),  # -20% -> -40%: 20 points, 100% of its size
    ])  # fmt: skip
    recompute()
    drops = _kinds(attention_items(user=marketing_user, today=TODAY), "roi_drop")
    assert [d.title for d in drops] == [
        "Mid: ROI fell 15.0 points in 2025-02",
        "Negative: ROI fell 20.0 points in 2025-02",
    ]
    assert drops[0].detail == (
        "From 50.0% to 35.0%: more than 10 points and more than 20% of where it was."
    )


def test_a_revenue_fall_must_exceed_both_the_share_and_the_amount(marketing_user, settings):
    settings.ATTENTION_CANNIBALISATION_PCT = 15
    settings.ATTENTION_CANNIBALISATION_MIN_AMOUNT = 100
    for slug in ("grower", "big", "tiny"):
        ChannelFactory(slug=slug, name=slug.title(), target_segment="Families")
    import_rows(HEADER, [
        *_monthly("grower", 1000, 1300),
        *_monthly("big", 1000, 800),  # -20%, $200: flagged
        *_monthly("tiny", 50, 20),  # -60% but only $30: noise
    ])  # fmt: skip
    recompute()
    hints = _kinds(attention_items(user=marketing_user, today=TODAY), "cannibalisation")
    assert [h.channel.slug for h in hints] == ["big"]


def test_the_attention_list_follows_the_dashboards_filters_and_says_its_thresholds(
    viewer_client, settings
):
    settings.ATTENTION_ROI_DROP_POINTS = 10
    settings.ATTENTION_ROI_DROP_PCT = 20
    settings.ATTENTION_STALE_DAYS = 7
    ChannelFactory(slug="shop", name="Shop", kind="ecommerce", status="active")
    ChannelFactory(slug="ads", name="Ads", kind="paid_search", status="active")
    url = reverse("kpis:attention")
    everything = viewer_client.get(url)
    assert {i.channel.slug for i in everything.context["items"]} == {"shop", "ads"}
    only_shop = viewer_client.get(url, {"kind": "ecommerce"})
    assert {i.channel.slug for i in only_shop.context["items"]} == {"shop"}
    text = everything.text
    assert "by more than 10 points and by more than 20% of where it was" in text
    assert "no facts for more than 7 days" in text
    assert "by more than 15% and by at least $100.00" in text
    assert "ATTENTION_" not in text
    # The portfolio's preview follows its filters too.
    home = viewer_client.get(reverse("kpis:portfolio"), {"kind": "paid_search"})
    assert {i.channel.slug for i in home.context["attention"]} == {"ads"}


def test_an_item_keeps_its_key_from_day_to_day(marketing_user, settings):
    settings.ATTENTION_STALE_DAYS = 7
    ChannelFactory(slug="shop", name="Shop", status="active")
    import_rows(HEADER, [["2025-02-01", "shop", "10", "20"]])
    recompute()

    def stale(day):
        (item,) = _kinds(attention_items(user=marketing_user, today=day), "stale")
        return item

    first, later = stale(date(2025, 2, 20)), stale(date(2025, 2, 25))
    assert first.title != later.title  # "no facts for 19 days", "... 24 days"
    assert first.key == later.key == f"stale:{first.channel.pk}:since 2025-02-01"


def test_a_retired_channels_objectives_leave_the_list(viewer_user):
    from kpis.models import ObjectiveStatus
    from tests.factories import ObjectiveFactory

    shop = ChannelFactory(slug="shop", name="Web shop")
    gone = ChannelFactory(slug="gone", name="Gone")
    for channel in (shop, gone):
        ObjectiveStatus.objects.create(
            objective=ObjectiveFactory(channel=channel), status="off_track"
        )
    titles = [i.title for i in _kinds(attention_items(user=viewer_user, today=TODAY), "objective")]
    assert len(titles) == 2
    gone.status = gone.Status.RETIRED
    gone.save(update_fields=["status"])
    titles = [i.title for i in _kinds(attention_items(user=viewer_user, today=TODAY), "objective")]
    assert len(titles) == 1 and titles[0].startswith("Web shop")


def test_a_channel_without_facts_leads_where_the_reader_can_act(viewer_user, marketing_user):
    """The item linked to the import page, which a viewer or a partner
    manager may not open (403)."""
    ChannelFactory(slug="quiet", name="Quiet")
    (seen,) = _kinds(attention_items(user=viewer_user, today=TODAY), "stale")
    assert seen.url == reverse("channels:detail", args=["quiet"])
    (mine,) = _kinds(attention_items(user=marketing_user, today=TODAY), "stale")
    assert mine.url == reverse("kpis:import")
