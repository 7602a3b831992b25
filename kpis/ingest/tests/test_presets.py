"""Presets (kpis.ingest.presets): one file per platform, written in the shape of
its documented export (title rows, totals and footer lines included), imported
through the preset and checked to the cent; the command line's --source,
--channel and --ignore."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command

from kpis.ingest.presets import PRESETS
from kpis.ingest.sources import plan_for
from kpis.models import DailyFact, ExchangeRate, ImportRun, Source, header_signature
from kpis.tests.helpers import import_bytes
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels():
    return {
        slug: ChannelFactory(slug=slug, name=slug.replace("-", " ").title())
        for slug in ("paid-search", "paid-social", "web-shop", "stores", "amazon", "email")
    }


def facts(*columns: str) -> list[tuple]:
    return list(
        DailyFact.objects.order_by("channel__slug", "day").values_list(
            "channel__slug", "day", *columns
        )
    )


def via(preset: str, data: bytes, name: str, **extra) -> ImportRun:
    _source, plan = plan_for(source=preset, **extra)
    run = import_bytes(data, name, mapping=plan)
    assert run.status == "succeeded", (run.message, run.errors)
    return run


GOOGLE_ADS = b"""Campaign report
"January 5, 2025 - January 6, 2025"
Day,Campaign,Campaign status,Currency code,Cost,Impr.,Clicks,CTR,Avg. CPC,Conversions,Conv. value,Cost / conv.
2025-01-05,Brand - EU,Enabled,EUR,"1,234.56","12,345",456,3.69%,2.71,12.50,"4,567.89",98.76
2025-01-06,Brand - EU,Enabled,EUR,100.00,"1,000",50,5.00%,2.00,1.00,200.00,100.00
Total: Account,,,EUR,"1,334.56","13,345",506,3.79%,2.64,13.50,"4,767.89",98.86
Total: Search,,,EUR,"1,334.56","13,345",506,3.79%,2.64,13.50,"4,767.89",98.86
"""


def test_google_ads_campaign_report_by_day(channels):
    run = via("google-ads", GOOGLE_ADS, "Campaign report.csv", channel="paid-search")
    assert facts("spend", "revenue", "impressions", "clicks", "orders") == [
        ("paid-search", date(2025, 1, 5), D("1234.56"), D("4567.89"), 12345, 456, 0),
        ("paid-search", date(2025, 1, 6), D("100.00"), D("200.00"), 1000, 50, 0),
    ]
    assert run.reading["skipped_count"] == 2 and "The header is on line 3" in " ".join(
        run.reading["notes"]
    )


META_ADS = (
    b"Reporting starts,Reporting ends,Campaign name,Day,Amount spent (EUR),Impressions,Reach,"
    b"Link clicks,Purchases,Purchases conversion value,Results,Result indicator\n"
    b"2025-01-05,2025-01-05,Winter sale,2025-01-05,123.45,10000,8000,120,3,456.70,3,"
    b"actions:offsite_conversion.fb_pixel_purchase\n"
    b"2025-01-05,2025-01-05,Retargeting,2025-01-05,10.05,900,700,12,1,50.00,1,"
    b"actions:offsite_conversion.fb_pixel_purchase\n"
)


def test_meta_ads_manager_export_by_day_in_euros(channels):
    ExchangeRate.objects.create(currency="EUR", day=date(2025, 1, 5), rate=D("1.1"))
    run = via(
        "meta-ads",
        META_ADS,
        "Acme-Campaigns-Jan-5-2025.csv",
        mapping={"channel_values": {"winter sale": "paid-social", "retargeting": "email"}},
    )
    # Amount spent (EUR): converted at 1.1, half up to the cent.
    assert facts("spend", "revenue", "orders", "impressions", "clicks") == [
        ("email", date(2025, 1, 5), D("11.06"), D("55.00"), 1, 900, 12),
        ("paid-social", date(2025, 1, 5), D("135.80"), D("502.37"), 3, 10000, 120),
    ]
    assert "Day" in run.ignored_columns
    assert "Amounts in EUR converted to USD with the daily rates of 2025-01-05" in " ".join(
        run.reading["notes"]
    )


MICROSOFT_ADS = b""""Report Name: Campaign performance"
"Report Time: 1/5/2025 - 1/13/2025"
"Time Zone: (GMT+01:00) Amsterdam, Berlin"
"Rows: 2"

"Gregorian date","Account name","Campaign name","Impressions","Clicks","Spend","Conversions","Revenue","Currency code"
"1/5/2025","Acme","Brand","1,000","50","25.50","2","300.00","USD"
"1/13/2025","Acme","Brand","2,000","80","40.25","3","410.10","USD"
"Total","","","3,000","130","65.75","5","710.10",""
"\xa92025 Microsoft Corporation. All rights reserved. "
"""


def test_microsoft_advertising_campaign_performance(channels):
    run = via("microsoft-ads", MICROSOFT_ADS, "Campaign_Performance.csv", channel="paid-search")
    assert facts("spend", "revenue", "impressions", "clicks") == [
        ("paid-search", date(2025, 1, 5), D("25.50"), D("300.00"), 1000, 50),
        ("paid-search", date(2025, 1, 13), D("40.25"), D("410.10"), 2000, 80),
    ]
    assert "Windows-1252" in " ".join(run.reading["notes"])
    assert [s["line"] for s in run.reading["skipped"]] == [9, 10]


TIKTOK_ADS = (
    b"By Day,Campaign name,Campaign ID,Cost,Impressions,Clicks (destination),CTR (destination),"
    b"Complete payment,Total complete payment value,Currency\n"
    b"2025-01-05 00:00:00,Spring launch,1780000000001,55.10,20000,300,1.50%,4,220.40,EUR\n"
    b"2025-01-06 00:00:00,Spring launch,1780000000001,44.90,15000,200,1.33%,2,99.99,EUR\n"
)


def test_tiktok_ads_custom_report(channels):
    via("tiktok-ads", TIKTOK_ADS, "TikTok report.csv", channel="paid-social")
    assert facts("spend", "revenue", "orders", "impressions", "clicks") == [
        ("paid-social", date(2025, 1, 5), D("55.10"), D("220.40"), 4, 20000, 300),
        ("paid-social", date(2025, 1, 6), D("44.90"), D("99.99"), 2, 15000, 200),
    ]


SHOPIFY = (
    b"Day,Sales channel,Orders,Gross sales,Discounts,Returns,Net sales,Shipping,Taxes,Total sales\n"
    b"2025-01-05,Online Store,12,1200.00,-50.00,-20.00,1130.00,30.00,90.00,1250.00\n"
    b"2025-01-05,Point of Sale,3,300.00,0.00,0.00,300.00,0.00,24.00,324.00\n"
    b"2025-01-05,Draft Orders,1,10.00,0.00,0.00,10.00,0.00,0.80,10.80\n"
)


def test_shopify_sales_by_day_and_channel(channels):
    run = via(
        "shopify",
        SHOPIFY,
        "sales_over_time.csv",
        mapping={
            "channel_values": {
                "online store": "web-shop",
                "point of sale": "stores",
                "draft orders": "__drop__",
            }
        },
    )
    assert facts("revenue", "orders") == [
        ("stores", date(2025, 1, 5), D("324.00"), 3),
        ("web-shop", date(2025, 1, 5), D("1250.00"), 12),
    ]
    assert run.reading["dropped"] == {"Draft Orders": 1}


AMAZON = (
    b'"Date","Ordered Product Sales","Ordered Product Sales - B2B","Units Ordered",'
    b'"Units Ordered - B2B","Total Order Items","Total Order Items - B2B",'
    b'"Average Sales per Order Item","Sessions - Total","Page Views - Total",'
    b'"Buy Box Percentage","Unit Session Percentage"\n'
    b'"01/05/2025","$1,234.56","$0.00","40","0","38","0","$32.49","900","1,500","98%","4.44%"\n'
    b'"01/06/2025","$99.90","$0.00","3","0","3","0","$33.30","80","120","97%","3.75%"\n'
)


def test_amazon_seller_central_business_report(channels):
    via("amazon-seller", AMAZON, "BusinessReport-1-6-25.csv", channel="amazon")
    assert facts("revenue", "units", "orders", "clicks", "impressions") == [
        ("amazon", date(2025, 1, 5), D("1234.56"), 40, 38, 900, 1500),
        ("amazon", date(2025, 1, 6), D("99.90"), 3, 3, 80, 120),
    ]


GA4 = b"""# ----------------------------------------
# Traffic acquisition: Session source / medium
# Account: Acme
# Property: Acme shop
# ----------------------------------------
#
# Start date: 20250105
# End date: 20250106
Session source / medium,Date,Sessions,Engaged sessions,Ecommerce purchases,Purchase revenue
,,330,210,6,650.75
google / cpc,20250105,120,80,3,300.5
newsletter / email,20250106,210,130,3,350.25
"""


def test_ga4_by_date_and_session_source_medium(channels):
    run = via(
        "ga4",
        GA4,
        "data-export.csv",
        mapping={"channel_values": {"google / cpc": "paid-search", "newsletter / email": "email"}},
    )
    assert facts("clicks", "orders", "revenue") == [
        ("email", date(2025, 1, 6), 210, 3, D("350.25")),
        ("paid-search", date(2025, 1, 5), 120, 3, D("300.50")),
    ]
    assert run.reading["skipped_count"] == 1


def test_every_preset_is_tested_here():
    assert set(PRESETS) == {
        "google-ads", "meta-ads", "microsoft-ads", "tiktok-ads", "shopify", "amazon-seller", "ga4"
    }  # fmt: skip


def test_the_command_takes_a_preset_a_channel_and_columns_to_ignore(channels, tmp_path):
    path = tmp_path / "Campaign report.csv"
    path.write_bytes(GOOGLE_ADS)
    out = io.StringIO()
    call_command(
        "import_metrics", str(path), "--source", "google-ads", "--channel", "paid-search",
        "--no-recompute", stdout=out,
    )  # fmt: skip
    assert "2 row(s) added" in out.getvalue() and "Totals rows skipped: line(s) 6, 7" in (
        out.getvalue()
    )
    assert DailyFact.objects.count() == 2

    shipping = tmp_path / "shop.csv"
    shipping.write_bytes(b"date,channel,revenue,Shipping\n2025-02-01,web-shop,10,4.95\n")
    with pytest.raises(CommandError, match="“Shipping”"):
        call_command("import_metrics", str(shipping), "--no-recompute", stderr=io.StringIO())
    call_command(
        "import_metrics", str(shipping), "--ignore", "Shipping", "--no-recompute",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert DailyFact.objects.filter(day=date(2025, 2, 1)).get().revenue == D("10.00")

    with pytest.raises(CommandError, match="No source or preset is called “nope”"):
        call_command("import_metrics", str(shipping), "--source", "nope")


def test_the_command_finds_a_saved_source_by_its_header(channels, tmp_path):
    Source.objects.create(
        name="Weekly sheet",
        header=["Tag", "Kanal", "Kosten"],
        signature=header_signature(["Tag", "Kanal", "Kosten"]),
        plan={"decimal": ","},
    )
    path = tmp_path / "week.csv"
    path.write_bytes(b"Tag;Kanal;Kosten\n05.01.2025;web-shop;1.000\n")
    call_command("import_metrics", str(path), "--no-recompute", stdout=io.StringIO())
    run = ImportRun.objects.get()
    assert run.data_source.name == "Weekly sheet"
    assert DailyFact.objects.get().spend == D("1000.00")


@pytest.mark.parametrize(
    "slug, data",
    [
        ("google-ads", GOOGLE_ADS),
        ("meta-ads", META_ADS),
        ("microsoft-ads", MICROSOFT_ADS),
        ("tiktok-ads", TIKTOK_ADS),
        ("shopify", SHOPIFY),
        ("amazon-seller", AMAZON),
        ("ga4", GA4),
    ],
)
def test_the_mapping_step_recognises_each_export_by_its_header(slug, data, tmp_path):
    from kpis.ingest.presets import detect_preset
    from kpis.ingest.reading import sniff

    path = tmp_path / "export.csv"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    assert detect_preset(sniff(path, path.name).names) == slug


def test_channelhubs_own_columns_are_no_platforms_export():
    from kpis.ingest.presets import detect_preset

    assert detect_preset(["date", "channel", "spend", "revenue", "orders", "clicks"]) == ""
    assert detect_preset(["Datum", "Kanal", "Kosten", "Umsatz"]) == ""
