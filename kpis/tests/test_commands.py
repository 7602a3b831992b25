"""The command-line contract of METRICS.md section 6."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kpis.models import DailyFact, KpiSnapshot
from tests.factories import ChannelFactory

from .helpers import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return ChannelFactory(name="=Web Shop", slug="web-shop")


def write(tmp_path: Path, rows, header=("date", "channel", "spend", "revenue", "orders")) -> Path:
    path = tmp_path / "facts.csv"
    path.write_bytes(csv_bytes(list(header), rows))
    return path


def test_import_metrics_imports_and_recomputes(tmp_path, shop):
    out = io.StringIO()
    call_command(
        "import_metrics",
        str(write(tmp_path, [["2025-01-02", "web-shop", "10", "30", "2"]])),
        stdout=out,
    )
    assert "1 row(s) added" in out.getvalue() and "KPIs recomputed" in out.getvalue()
    assert KpiSnapshot.objects.filter(channel=shop, period_kind="month").count() == 1


def test_import_metrics_fails_with_the_report_on_bad_input(tmp_path, shop):
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_metrics",
            str(write(tmp_path, [["2025-01-02", "nope", "10", "30", "2"]])),
            stderr=err,
        )
    assert "2\tchannel\tnope\tunknown channel" in err.getvalue()
    assert not DailyFact.objects.exists()


def test_import_metrics_creates_channels_when_asked(tmp_path):
    call_command(
        "import_metrics",
        str(write(tmp_path, [["2025-01-02", "Pop-up Store", "10", "30", "2"]])),
        "--create-channels",
        stdout=io.StringIO(),
    )
    assert DailyFact.objects.get().channel.slug == "pop-up-store"


def test_import_metrics_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_metrics", str(tmp_path / "none.csv"))


def test_export_kpis_writes_the_contract(tmp_path, shop):
    other = ChannelFactory(name="Amazon", slug="amazon")
    call_command("import_metrics", str(write(tmp_path, [
        ["2025-01-02", "web-shop", "10", "30", "3"],
        ["2025-02-02", "web-shop", "0", "0", "0"],
        ["2025-01-03", "amazon", "5", "10", "0"],
    ])), stdout=io.StringIO())  # fmt: skip
    out_file = tmp_path / "out.csv"
    call_command("export_kpis", "--period", "month", "--out", str(out_file), stderr=io.StringIO())
    rows = list(csv.DictReader(out_file.open()))
    assert list(rows[0]) == [
        "channel", "channel_name", "period", "period_start", "period_end", "complete", "spend",
        "incentive_cost", "total_cost", "revenue", "cogs", "gross_profit", "orders", "units", "leads",
        "new_customers", "impressions", "clicks", "roi", "roas", "cac", "cpl", "conversion_rate", "ctr",
        "aov", "gross_margin_pct", "revenue_share", "inventory_turnover", "nps", "avg_rating",
    ]  # fmt: skip
    assert [(r["channel"], r["period"]) for r in rows] == [
        ("amazon", "2025-01"),
        ("web-shop", "2025-01"),
        ("web-shop", "2025-02"),
    ]
    web_jan = rows[1]
    assert web_jan["channel_name"] == "'=Web Shop"  # defused formula
    assert (web_jan["complete"], web_jan["spend"], web_jan["roi"], web_jan["aov"]) == (
        "true",
        "10.00",
        "2.0000",
        "10.0000",
    )
    assert web_jan["revenue_share"] == "0.7500" and web_jan["cac"] == "" and web_jan["nps"] == ""
    assert rows[2]["complete"] == "false" and rows[2]["roi"] == ""
    assert other.slug == rows[0]["channel"]


def test_export_kpis_selects_overlapping_periods_in_full_and_one_channel(tmp_path, shop):
    call_command(
        "import_metrics",
        str(
            write(
                tmp_path,
                [
                    ["2025-01-02", "web-shop", "10", "30", "3"],
                    ["2025-01-20", "web-shop", "10", "30", "3"],
                ],
            )
        ),
        stdout=io.StringIO(),
    )
    out = io.StringIO()
    call_command(
        "export_kpis",
        "--period",
        "month",
        "--channel",
        "web-shop",
        "--start",
        "2025-01-15",
        "--end",
        "2025-01-16",
        stdout=out,
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 1 and rows[0]["spend"] == "20.00"


def test_export_kpis_day_rows_come_from_the_facts(tmp_path, shop):
    call_command(
        "import_metrics",
        str(write(tmp_path, [["2025-01-02", "web-shop", "10", "30", "3"]])),
        "--no-recompute",
        stdout=io.StringIO(),
    )
    out = io.StringIO()
    call_command("export_kpis", "--period", "day", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["period"], r["period_start"], r["revenue"]) for r in rows] == [
        ("2025-01-02", "2025-01-02", "30.00")
    ]


def test_recompute_kpis_validates_its_options(shop):
    with pytest.raises(CommandError, match="Unknown channel"):
        call_command("recompute_kpis", "--channel", "nope")
    with pytest.raises(CommandError, match="both --start and --end"):
        call_command("recompute_kpis", "--start", "2025-01-01")
    with pytest.raises(CommandError, match="Not a date"):
        call_command("recompute_kpis", "--start", "yesterday", "--end", "2025-01-01")
    out = io.StringIO()
    call_command(
        "recompute_kpis",
        "--channel",
        "web-shop",
        "--start",
        "2025-01-01",
        "--end",
        "2025-01-31",
        stdout=out,
    )
    assert "1 channel(s), 2025-01-01 → 2025-01-31" in out.getvalue()
