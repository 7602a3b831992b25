"""What an upload may cost (issue 19 item 4): rows, unpacked XLSX size, cells and
seconds are capped by settings.UPLOAD_LIMITS and checked while the file is read,
never after; a zip bomb is refused within a second, unpacking nothing.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from kpis.models import DailyFact, ImportRun
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"
# Blank rows: the facts API counts only rows with data before it imports, so a
# bomb of blank rows went past that count into the import itself.
BLANK_ROW = b"<row><c><v></v></c><c><v></v></c><c><v></v></c></row>"


def _workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_sheet(workbook: bytes, write_sheet, extra: dict[str, bytes] | None = None) -> bytes:
    """`workbook` with its first sheet's XML written by `write_sheet(stream)`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            if info.filename == SHEET:
                with target.open(SHEET, "w", force_zip64=True) as stream:
                    write_sheet(stream)
            else:
                target.writestr(info, source.read(info))
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A 2.5 MB workbook whose sheet unpacks to 320 MB: 8 million blank rows after a header."""
    header = _workbook([["date", "channel", "spend"]])
    chunk = BLANK_ROW * ((1 << 20) // len(BLANK_ROW))

    def write(stream):
        stream.write(
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row><c t="inlineStr"><is><t>date</t></is></c>'
            b'<c t="inlineStr"><is><t>channel</t></is></c>'
            b'<c t="inlineStr"><is><t>spend</t></is></c></row>'
        )
        for _ in range(320):
            stream.write(chunk)
        stream.write(b"</sheetData></worksheet>")

    data = _with_sheet(header, write)
    assert len(data) < 4 << 20
    return data


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


def _costs(call):
    """What `call` took: (its result, seconds, peak MB of memory it allocated).

    Call it once before measuring: the first request of a process loads the URL
    table and the views' modules."""
    call()
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = call()
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1] / (1 << 20)
    finally:
        tracemalloc.stop()
    return result, seconds, peak


def test_the_import_page_refuses_a_zip_bomb_at_once(marketing_client, shop, bomb):
    response, seconds, peak = _costs(
        lambda: marketing_client.post(
            reverse("kpis:import"), {"file": SimpleUploadedFile("facts.xlsx", bomb)}
        )
    )
    assert response.status_code == 200
    assert "unpacks to 320 MB, more than the 300 MB limit" in str(
        response.context["form"].errors["file"]
    )
    assert seconds < 1.5 and peak < 16, (seconds, peak)
    assert not ImportRun.objects.exists()


def test_the_facts_api_refuses_a_zip_bomb_at_once(marketing_api, shop, bomb):
    response, seconds, peak = _costs(
        lambda: marketing_api.post(
            "/api/v1/facts/",
            {"file": SimpleUploadedFile("facts.xlsx", bomb)},
            format="multipart",
        )
    )
    assert response.status_code == 400
    assert "unpacks to 320 MB" in response.json()["errors"]["file"][0]
    assert seconds < 1.5 and peak < 16, (seconds, peak)
    assert not ImportRun.objects.exists()


def test_the_feedback_import_refuses_a_zip_bomb(marketing_client, bomb):
    response = marketing_client.post(
        reverse("kpis:feedback-import"), {"file": SimpleUploadedFile("feedback.xlsx", bomb)}
    )
    assert "unpacks to 320 MB" in str(response.context["form"].errors["file"])


def test_a_workbook_whose_text_cells_unpack_too_far_is_refused(marketing_client, shop, settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "xlsx_shared_strings_bytes": 1000}
    workbook = _workbook([["date", "channel", "spend"]])
    strings = b"<sst>" + b"<si><t>some text</t></si>" * 100 + b"</sst>"
    data = _with_sheet(
        workbook,
        lambda stream: stream.write(zipfile.ZipFile(io.BytesIO(workbook)).read(SHEET)),
        {"xl/sharedStrings.xml": strings},
    )
    response = marketing_client.post(
        reverse("kpis:import"), {"file": SimpleUploadedFile("facts.xlsx", data)}
    )
    assert "text cells unpack to" in str(response.context["form"].errors["file"])


def test_a_workbook_with_thousands_of_parts_is_refused(marketing_api, shop):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(1_500):
            archive.writestr(f"xl/part{i}.xml", b"")
    response = marketing_api.post(
        "/api/v1/facts/",
        {"file": SimpleUploadedFile("facts.xlsx", out.getvalue())},
        format="multipart",
    )
    assert response.status_code == 400
    assert "more than 1,000 parts" in response.json()["errors"]["file"][0]


# --- caps checked while reading: the worker's side ------------------------------------


def _rows(n: int) -> list[list[object]]:
    first = date(2024, 1, 1)
    days = [(first + timedelta(days=i)).isoformat() for i in range(n)]
    header: list[object] = ["date", "channel", "spend"]
    return [header] + [[day, "web-shop", 1] for day in days]


@pytest.fixture
def import_page(marketing_client, django_capture_on_commit_callbacks):
    """Upload a facts file on the page and let the (eager) worker import it."""

    def upload(name: str, data: bytes) -> ImportRun:
        with django_capture_on_commit_callbacks(execute=True):
            marketing_client.post(reverse("kpis:import"), {"file": SimpleUploadedFile(name, data)})
        return ImportRun.objects.get()

    return upload


@pytest.mark.parametrize("name", ["facts.csv", "facts.xlsx"])
def test_a_file_with_too_many_rows_is_refused_saying_so(import_page, shop, settings, name):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "rows": 100}
    rows = _rows(101)
    data = (
        _workbook(rows)
        if name.endswith(".xlsx")
        else "\n".join(",".join(map(str, r)) for r in rows).encode()
    )
    run = import_page(name, data)
    assert run.status == ImportRun.Status.REJECTED
    assert "more than 100 rows" in run.message
    assert not DailyFact.objects.exists()


def test_a_file_at_the_row_cap_is_imported(import_page, shop, settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "rows": 100}
    run = import_page("facts.xlsx", _workbook(_rows(100)))
    assert run.status == ImportRun.Status.SUCCEEDED, run.message


def test_a_workbook_declaring_thousands_of_columns_is_stopped_by_the_cell_cap(
    import_page, shop, settings
):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "cells": 50_000}

    def write(stream):
        stream.write(
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<dimension ref="A1:XFD100"/><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c>'
            b'<c r="B1" t="inlineStr"><is><t>channel</t></is></c></row>'
        )
        for line in range(2, 100):
            stream.write(f'<row r="{line}"><c r="A{line}"><v>1</v></c></row>'.encode())
        stream.write(b"</sheetData></worksheet>")

    run = import_page("facts.xlsx", _with_sheet(_workbook([["x"]]), write))
    assert run.status == ImportRun.Status.REJECTED
    assert "more than 50,000 cells" in run.message


def test_a_read_past_its_time_is_stopped(import_page, shop, settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "seconds": -1}
    run = import_page("facts.csv", b"date,channel,spend\n2025-01-02,web-shop,1\n")
    assert run.status == ImportRun.Status.REJECTED
    assert "longer than -1 seconds" in run.message


def test_the_price_list_import_shares_the_caps(marketing_client, settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "rows": 3}
    data = b"date,partner,sku,price,where_seen\n" + b"2025-01-02,p,s,1,x\n" * 5
    response = marketing_client.post(
        reverse("partners:price-import"), {"file": SimpleUploadedFile("prices.csv", data)}
    )
    assert "more than 3 rows" in response.content.decode()
