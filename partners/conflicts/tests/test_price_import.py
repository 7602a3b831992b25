"""The price-observation CSV import: a good file is written whole and opens
pricing cases; a file with any bad row is rejected whole, with line numbers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from partners.conflicts import pricing as conflicts_pricing
from partners.conflicts.models import ConflictCase, PriceObservation
from tests.factories import PartnerFactory, PriceObservationFactory, ProductFactory

pytestmark = pytest.mark.django_db

HEADER = "date,partner,sku,price,where_seen\n"


@pytest.fixture
def catalogue(pauls_partner, indirect_channel, other_partner_user):
    petras = PartnerFactory(
        name="Alpine Supply", slug="alpine", channel=indirect_channel, manager=other_partner_user
    )
    return {
        "desk": ProductFactory(sku="DSK-200", list_price="599.00", map_price="499.00"),
        "chair": ProductFactory(sku="CHR-310", list_price="249.00", map_price="199.00"),
        "nordlicht": pauls_partner,
        "alpine": petras,
    }


def _day(days_ago: int = 1) -> str:
    return (timezone.localdate() - timedelta(days=days_ago)).isoformat()


def _import(tmp_path, text: str, *, allowed=None, encoding="utf-8"):
    path = tmp_path / "prices.csv"
    path.write_bytes(text.encode(encoding))
    return conflicts_pricing.observations_import(
        path=path, recorded_by=None, allowed_partners=allowed
    )


def test_a_good_file_is_imported_and_a_price_below_map_opens_a_case(tmp_path, catalogue):
    text = HEADER + (
        f"{_day()},nordlicht,DSK-200,449.00,https://nordlicht.example/desk\n"
        f"{_day()},Alpine Supply,chr-310,199.00,Zurich store\n"
        "\n"  # a blank line is skipped
        f"{_day(2)},alpine,DSK-200,+520,Zurich store\n"
    )
    checked, created = _import(tmp_path, text)
    assert checked.ok and created == 3
    rows = set(PriceObservation.objects.values_list("partner__slug", "product__sku", "price"))
    assert rows == {
        ("nordlicht", "DSK-200", Decimal("449.00")),
        ("alpine", "CHR-310", Decimal("199.00")),
        ("alpine", "DSK-200", Decimal("520.00")),
    }
    assert set(PriceObservation.objects.values_list("source", flat=True)) == {"import"}
    case = ConflictCase.objects.get()
    assert case.kind == "pricing" and list(case.partners.all()) == [catalogue["nordlicht"]]
    # The same file again: every sighting is already recorded, nothing new.
    checked, created = _import(tmp_path, text)
    assert checked.ok and created == 0 and checked.unchanged == 3
    assert PriceObservation.objects.count() == 3 and ConflictCase.objects.count() == 1


def test_a_file_with_bad_rows_is_rejected_whole_with_line_numbers(tmp_path, catalogue):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    text = HEADER + (
        f"{_day()},nordlicht,DSK-200,449.00,https://nordlicht.example/desk\n"  # 2: fine
        "2025-02-30,nordlicht,DSK-200,449.00,shop\n"  # 3: no such day
        f"{_day()},nobody,DSK-200,449.00,shop\n"  # 4: unknown partner
        f"{_day()},nordlicht,NOPE-1,449.00,shop\n"  # 5: unknown SKU
        f"{_day()},nordlicht,DSK-200,-5,shop\n"  # 6: negative
        f"{_day()},nordlicht,DSK-200,44,9,shop\n"  # 7: a comma in the price: 6 fields
        f"{_day()},nordlicht,DSK-200,€449,\n"  # 8: currency sign, no place
        f"{future},nordlicht,DSK-200,1.999,shop\n"  # 9: future, 3 decimals
        f"{_day()},nordlicht,DSK-200,449.00,https://nordlicht.example/desk\n"  # 10: dup of 2
    )
    checked, created = _import(tmp_path, text)
    assert created == 0 and not checked.ok
    assert not PriceObservation.objects.exists() and not ConflictCase.objects.exists()
    report = [(e["line"], e["column"], e["reason"]) for e in checked.errors]
    assert report == [
        (3, "date", "not a date (expected YYYY-MM-DD)"),
        (4, "partner", "unknown partner (use its slug or exact name)"),
        (5, "sku", "unknown SKU (not on the price list)"),
        (6, "price", "must be 0 or more"),
        (7, "", "expected 5 fields, found 6"),
        (8, "price", "not a price (digits and a dot, at most 2 decimals, no currency sign)"),
        (8, "where_seen", "say where the price was seen"),
        (9, "date", "date is in the future"),
        (9, "price", "not a price (digits and a dot, at most 2 decimals, no currency sign)"),
        (10, "where_seen", "the same partner, SKU, date and place as line 2"),
    ]
    assert checked.bad_rows == 8  # lines 3 to 10


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "The file is empty: the first line must be a header row."),
        ("date,partner,sku\n2025-01-01,a,b\n", "required column is missing"),
        ("date,partner,sku,price,where_seen,price\n", "The header names the column “price” twice."),
        (HEADER, "the file has no rows under its header"),
    ],
)
def test_files_that_cannot_be_read_are_rejected(tmp_path, catalogue, text, reason):
    checked, created = _import(tmp_path, text)
    assert created == 0 and not checked.ok
    assert checked.errors[0]["reason"] == reason
    assert checked.errors[0]["line"] in (1, 2)


def test_a_file_that_is_not_utf8_is_rejected(tmp_path, catalogue):
    text = HEADER + f"{_day()},nordlicht,DSK-200,449.00,Café Müller\n"
    checked, created = _import(tmp_path, text.replace("date", "dâte"), encoding="latin-1")
    assert created == 0
    assert "not UTF-8" in checked.errors[0]["reason"]


def test_a_partner_manager_imports_only_their_own_partners_prices(tmp_path, catalogue):
    text = HEADER + (
        f"{_day()},nordlicht,DSK-200,520.00,shop\n{_day()},alpine,DSK-200,520.00,Zurich store\n"
    )
    checked, created = _import(tmp_path, text, allowed=[catalogue["nordlicht"]])
    assert created == 0
    assert [(e["line"], e["column"]) for e in checked.errors] == [(3, "partner")]
    assert "you do not manage this partner" in checked.errors[0]["reason"]
    assert not PriceObservation.objects.exists()


def test_a_sighting_recorded_at_another_price_is_an_error(tmp_path, catalogue):
    PriceObservationFactory(
        partner=catalogue["nordlicht"],
        product=catalogue["desk"],
        price="500.00",
        observed_on=date.fromisoformat(_day()),
        where_seen="shop",
    )
    text = HEADER + f"{_day()},nordlicht,DSK-200,510.00,shop\n{_day()},alpine,DSK-200,510,shop\n"
    checked, created = _import(tmp_path, text)
    assert created == 0
    assert checked.errors == [
        {
            "line": 2,
            "column": "price",
            "value": "510.00",
            "reason": "this sighting is already recorded at 500.00",
        }
    ]
    assert PriceObservation.objects.count() == 1


def test_the_import_page_shows_the_report_and_writes_nothing(catalogue, partner_client):
    text = HEADER + f"{_day()},nordlicht,DSK-200,abc,shop\n{_day()},alpine,DSK-200,510,shop\n"
    upload = SimpleUploadedFile("prices.csv", text.encode(), content_type="text/csv")
    response = partner_client.post(reverse("partners:price-import"), {"file": upload})
    assert response.status_code == 200
    page = response.text
    assert "“prices.csv” was not imported" in page
    assert "2 rows have problems; nothing was written." in page
    assert "not a price" in page and "you do not manage this partner" in page
    assert [e["line"] for e in response.context["report"]["errors"]] == [2, 3]
    assert not PriceObservation.objects.exists()


def test_the_import_page_imports_a_good_file(catalogue, marketing_client):
    text = HEADER + f"{_day()},alpine,DSK-200,399.00,Zurich store\n"
    upload = SimpleUploadedFile("prices.csv", text.encode(), content_type="text/csv")
    response = marketing_client.post(reverse("partners:price-import"), {"file": upload})
    assert response.status_code == 302
    assert PriceObservation.objects.get().recorded_by.username == "maria"
    assert ConflictCase.objects.get().severity == "high"  # 20% below MAP
    page = marketing_client.get(response["Location"]).text
    assert "1 price(s) imported" in page


def test_the_import_page_refuses_other_files(catalogue, marketing_client):
    upload = SimpleUploadedFile("prices.xlsx", b"PK\x03\x04", content_type="application/zip")
    response = marketing_client.post(reverse("partners:price-import"), {"file": upload})
    assert response.context["form"].errors["file"] == ["Upload a .csv file."]


def test_the_template_download_is_a_valid_header(marketing_client):
    response = marketing_client.get(reverse("partners:price-template"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == "date,partner,sku,price,where_seen"
