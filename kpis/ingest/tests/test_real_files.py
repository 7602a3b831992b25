"""Files as people have them (docs/metrics.md, "Files from other programs"): every
detection rule (separator, decimal comma, encodings, title rows, totals rows,
sheets, merged header cells, text dates, thousands separators, currency
symbols), each asserting the imported facts to the cent; and the clear
refusals for what cannot be decided alone."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from openpyxl import Workbook

from kpis.ingest.mapping import IGNORE
from kpis.ingest.services import import_undo
from kpis.models import DailyFact, ImportRun
from kpis.tests.helpers import import_bytes
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


@pytest.fixture
def search():
    return ChannelFactory(name="Paid Search", slug="paid-search")


def facts() -> list[tuple]:
    return list(
        DailyFact.objects.order_by("channel_id", "day").values_list(
            "channel_id", "day", "spend", "revenue", "orders", "clicks"
        )
    )


def notes(run: ImportRun) -> str:
    return " ".join(run.reading.get("notes", []))


def test_a_semicolon_file_with_decimal_commas_in_windows_1252(shop):
    text = (
        "Datum;Kanal;Kosten;Umsatz;Bestellungen\r\n"
        "05.01.2025;Web Shop;1.234,56 €;12.345,60 €;12\r\n"
        "06.01.2025;web-shop;0,5;7;1\r\n"
    )
    run = import_bytes(text.encode("cp1252"), "export.csv")
    assert run.status == "succeeded", (run.message, run.errors)
    assert facts() == [
        (shop.pk, date(2025, 1, 5), D("1234.56"), D("12345.60"), 12, 0),
        (shop.pk, date(2025, 1, 6), D("0.50"), D("7.00"), 1, 0),
    ]
    said = notes(run)
    assert "This file looks semicolon-separated; we read it as such." in said
    assert "Windows-1252" in said
    assert "Dates read as DD.MM.YYYY" in said and "decimal comma" in said
    assert "“Kosten” → spend" in said


def test_plain_decimal_commas_read_the_same_in_every_column_shape(shop):
    """Columns of bare decimal commas (the quick way), next to columns with
    thousands dots or symbols (the general rules), and counts written "12,00"."""
    text = (
        "Datum;Kanal;Kosten;Umsatz;Bestellungen;Klicks\n"
        "05.01.2025;web-shop;1234,56;1.234,50 €;12,00;7\n"
        "06.01.2025;web-shop;,5;99;3;\n"
        "07.01.2025;web-shop;7;0,01 €;0;1000\n"
    )
    run = import_bytes(text.encode(), "komma.csv")
    assert run.status == "succeeded", (run.message, run.errors)
    assert facts() == [
        (shop.pk, date(2025, 1, 5), D("1234.56"), D("1234.50"), 12, 7),
        (shop.pk, date(2025, 1, 6), D("0.50"), D("99.00"), 3, 0),
        (shop.pk, date(2025, 1, 7), D("7.00"), D("0.01"), 0, 1000),
    ]


def test_excel_unicode_text_with_title_rows_and_a_totals_row(shop):
    text = (
        "Campaign report\n"
        "1 January 2025 - 31 January 2025\n"
        "Day\tChannel\tCost\tClicks\n"
        "2025-01-05\tweb-shop\t10.00\t1,204\n"
        "2025-01-06\tweb-shop\t2.5\t7\n"
        "Total\t\t12.50\t1,211\n"
    )
    run = import_bytes(b"\xff\xfe" + text.encode("utf-16-le"), "report.txt")
    assert run.status == "succeeded", (run.message, run.errors)
    assert facts() == [
        (shop.pk, date(2025, 1, 5), D("10.00"), D("0.00"), 0, 1204),
        (shop.pk, date(2025, 1, 6), D("2.50"), D("0.00"), 0, 7),
    ]
    said = notes(run)
    assert "UTF-16" in said and "tab-separated" in said
    assert "The header is on line 3" in said
    assert run.reading["skipped"] == [{"line": 6, "text": "Total | 12.50 | 1,211"}]
    assert run.rows_total == 2


def test_utf8_with_a_bom_and_quoted_thousands(shop):
    text = 'date,channel,revenue\n2025-01-05,web-shop,"1,234.50"\n2025-01-06,web-shop,"$2,000"\n'
    run = import_bytes(b"\xef\xbb\xbf" + text.encode(), "shop.csv")
    assert run.status == "succeeded", (run.message, run.errors)
    assert [f[3] for f in facts()] == [D("1234.50"), D("2000.00")]


def _workbook(sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cells in (merges or {}).get(title, []):
            sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_with_a_notes_sheet_a_title_merged_headers_and_totals(shop):
    data = _workbook(
        {
            "Read me": [["This export was made on 2025-02-01"]],
            "Data": [
                ["Sales by day"],
                [None, None, "Marketing", None, "Shop"],
                ["Date", "Channel", "Spend", "Clicks", "Revenue"],
                [datetime(2025, 1, 5), "web-shop", 10.1, 3, 99.99],
                ["Jan 6, 2025", "web-shop", "1,000.25", 4, 5],
                ["Total", None, 1010.35, 7, 104.99],
            ],
        },
        merges={"Data": ["C2:D2"]},
    )
    run = import_bytes(data, "sales.xlsx")
    assert run.status == "succeeded", (run.message, run.errors)
    assert facts() == [
        (shop.pk, date(2025, 1, 5), D("10.10"), D("99.99"), 0, 3),
        (shop.pk, date(2025, 1, 6), D("1000.25"), D("5.00"), 0, 4),
    ]
    said = notes(run)
    assert "we read “Data”" in said and "The header is on line 3" in said
    assert run.reading["skipped_count"] == 1


def test_two_columns_for_the_spend_are_refused_by_name_until_one_is_ignored(shop):
    data = b"date,channel,Spend (USD),Cost\n2025-01-05,web-shop,10,11\n"
    run = import_bytes(data)
    assert run.status == "rejected" and not DailyFact.objects.exists()
    assert "Several columns could be the spend (cost): “Spend (USD)”, “Cost”" in run.message
    run = import_bytes(data, mapping={"columns": {"Cost": IGNORE}})
    assert run.status == "succeeded", run.message
    assert facts()[0][2] == D("10.00") and run.ignored_columns == ["Cost"]


def test_an_amount_column_that_matches_nothing_is_never_dropped_silently(shop):
    data = b"date,channel,spend,Shipping,CTR,Notes\n2025-01-05,web-shop,10,4.95,1.2%,hi\n"
    run = import_bytes(data)
    assert run.status == "rejected" and not DailyFact.objects.exists()
    assert "These columns hold amounts but match no field" in run.message
    assert "“Shipping”" in run.message and "CTR" not in run.message
    run = import_bytes(data, mapping={"columns": {"shipping": IGNORE}})
    assert run.status == "succeeded", run.message
    assert set(run.ignored_columns) == {"Shipping", "CTR", "Notes"}
    assert "computes them itself: “CTR”" in notes(run)


def test_no_date_column_names_the_columns_found(shop):
    run = import_bytes(b"when,channel,spend\nyesterday,web-shop,1\n")
    assert run.status == "rejected"
    assert run.message.startswith(
        "We found no column for the date; the columns are: “when”, “channel”, “spend”."
    )


def test_ambiguous_dates_ask_for_their_format(shop):
    data = b"date,channel,spend\n01/02/2025,web-shop,1\n03/04/2025,web-shop,2\n"
    run = import_bytes(data)
    assert run.status == "rejected"
    assert "could be DD/MM/YYYY or MM/DD/YYYY" in run.message
    run = import_bytes(data, mapping={"date_format": "%m/%d/%Y"})
    assert run.status == "succeeded", run.message
    assert [f[1] for f in facts()] == [date(2025, 1, 2), date(2025, 3, 4)]


def test_one_bad_value_in_a_mapped_file_rejects_it_whole_naming_the_format(shop):
    text = "Datum;Kanal;Kosten\n05.01.2025;web-shop;1,5\n06.01.2025;web-shop;1,2,3\n32.01.2025;web-shop;1\n"
    run = import_bytes(text.encode(), "bad.csv")
    assert run.status == "rejected" and not DailyFact.objects.exists()
    assert [(e["line"], e["column"], e["value"], e["reason"]) for e in run.errors] == [
        (3, "spend", "1,2,3", "not a number (write amounts as this file does, with a decimal "
         "comma: 1.234,56)"),
        (4, "date", "32.01.2025", "not a date (expected DD.MM.YYYY)"),
    ]  # fmt: skip


def test_channel_values_are_mapped_and_dropped_rows_counted(shop, search):
    data = (
        b"Day,Campaign,Cost\n"
        b"2025-01-05,Brand EU,10\n2025-01-05,Shop feed,2\n2025-01-06,Test,1\n2025-01-07,Test,1\n"
    )
    plan = {
        "channel_values": {"Brand EU": "paid-search", "Shop feed": "web-shop", "test": "__drop__"}
    }
    run = import_bytes(data, mapping=plan)
    assert run.status == "succeeded", (run.message, run.errors)
    assert facts() == [
        (shop.pk, date(2025, 1, 5), D("2.00"), D("0.00"), 0, 0),
        (search.pk, date(2025, 1, 5), D("10.00"), D("0.00"), 0, 0),
    ]
    assert run.reading["dropped"] == {"Test": 2} and run.rows_total == 2


def test_a_constant_channel_and_a_mapped_file_import_twice_and_undo(shop):
    data = b"Tag;Ausgaben\n2025-01-05;1.000,10\n"
    plan = {"constant_channel": "web-shop", "decimal": ","}
    first = import_bytes(data, mapping=plan)
    assert first.status == "succeeded", first.message
    assert facts() == [(shop.pk, date(2025, 1, 5), D("1000.10"), D("0.00"), 0, 0)]
    again = import_bytes(data, mapping=plan)
    assert (again.rows_added, again.rows_replaced, again.rows_unchanged) == (0, 0, 1)
    import_undo(run=first, user=None)
    assert not DailyFact.objects.exists()
