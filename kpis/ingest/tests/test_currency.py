"""Amounts in another currency: converted with the rate of each row's day, to
the cent; a day without a rate refuses the file whole; rates come from a file
(whole file or nothing) or are entered one by one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpis.ingest.checks import FileProblem
from kpis.ingest.currency import rates_import
from kpis.models import DailyFact, ExchangeRate
from kpis.tests.helpers import import_bytes
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
FILE = b"date,channel,spend,revenue,orders\n2025-01-05,web-shop,100,1000.10,3\n2025-01-06,web-shop,0.05,19.99,1\n"


@pytest.fixture
def shop():
    return ChannelFactory(slug="web-shop")


def test_amounts_are_converted_with_each_days_rate(shop):
    rates_import(
        content=b"date,currency,rate\n2025-01-05,EUR,1.0345\n2025-01-06,eur,1.05\n", user=None
    )
    run = import_bytes(FILE, mapping={"currency": "EUR"})
    assert run.status == "succeeded", (run.message, run.errors)
    assert list(DailyFact.objects.order_by("day").values_list("spend", "revenue", "orders")) == [
        (D("103.45"), D("1034.60"), 3),  # 1000.10 x 1.0345 = 1034.60345
        (D("0.05"), D("20.99"), 1),  # 0.0525 -> 0.05; 20.9895 -> 20.99
    ]
    assert (
        "Amounts in EUR converted to USD with the daily rates of 2025-01-05 to 2025-01-06 "
        "(2 day(s); 1 EUR = 1.0345 to 1.05 USD)."
    ) in run.reading["notes"]


def test_a_day_without_a_rate_refuses_the_file(shop):
    ExchangeRate.objects.create(currency="EUR", day=date(2025, 1, 5), rate=D("1.1"))
    run = import_bytes(FILE, mapping={"currency": "EUR"})
    assert run.status == "rejected" and not DailyFact.objects.exists()
    assert run.message.startswith(
        "The amounts are in EUR, and there is no EUR rate for 2025-01-06."
    )


def test_the_reporting_currency_needs_no_rate(shop):
    run = import_bytes(FILE, mapping={"currency": "USD"})
    assert run.status == "succeeded" and DailyFact.objects.count() == 2


def test_a_rates_file_with_a_bad_line_saves_nothing():
    with pytest.raises(FileProblem) as problem:
        rates_import(
            content=b"date;currency;rate\n2025-01-05;EUR;1,1\n2025-01-06;EURO;1.1\n2025-01-07;EUR;0\n",
            user=None,
        )
    assert [(e["line"], e["column"]) for e in problem.value.errors] == [
        (3, "currency"),
        (4, "rate"),
    ]
    assert not ExchangeRate.objects.exists()


def test_the_rates_page_takes_a_file_or_one_rate(marketing_client, viewer_client):
    url = reverse("kpis:rates")
    data = b"date,currency,rate\n2025-01-05,GBP,1.25\n"
    response = marketing_client.post(url, {"file": SimpleUploadedFile("rates.csv", data)})
    assert response.status_code == 302
    response = marketing_client.post(url, {"currency": "chf", "day": "2025-01-05", "rate": "1.12"})
    assert response.status_code == 302
    assert set(ExchangeRate.objects.values_list("currency", "rate")) == {
        ("GBP", D("1.25")),
        ("CHF", D("1.12")),
    }
    page = marketing_client.post(url, {"file": SimpleUploadedFile("r.csv", b"day,rate\n")})
    assert "A rates file has the columns date, currency and rate" in page.text
    assert (
        viewer_client.post(url, {"currency": "EUR", "day": "2025-01-05", "rate": "1"}).status_code
        == 403
    )
    assert viewer_client.get(url).status_code == 403  # rates are for managers


def test_a_rates_file_gives_the_reporting_currency_no_rate():
    with pytest.raises(FileProblem) as refused:
        rates_import(
            content=b"date,currency,rate\n2025-01-02,EUR,1.10\n2025-01-02,usd,2\n", user=None
        )
    assert [(e["line"], e["column"], e["reason"]) for e in refused.value.errors] == [
        (3, "currency", "USD is the reporting currency: its amounts are taken as they are.")
    ]
    assert not ExchangeRate.objects.exists()
