"""Every upload path refuses an oversized file and a file whose bytes are not what
its name says, with a clear error, and stores nothing.

Contract documents on the page are covered in partners/tests/test_contracts.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channelhub.lib.uploads import spreadsheet_content_problem
from kpis.models import ImportRun
from partners.models import PriceObservation
from tests.api import *  # noqa: F403
from tests.documents import pdf_bytes
from tests.factories import ChannelFactory, ContractFactory

pytestmark = pytest.mark.django_db

FACTS = b"date,channel,spend,revenue\n2025-01-02,web-shop,100,400\n"
PDF = pdf_bytes()
PRICES = b"date,partner,sku,price,where_seen\n"


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


@pytest.mark.parametrize(
    ("suffix", "head", "ok"),
    [
        (".csv", b"date,channel\n", True),
        (".csv", "Datum;Kanal\nä".encode("latin-1"), True),  # text; decoding is the reader's job
        (".csv", PDF, False),
        (".csv", b"PK\x03\x04\x14\x00", False),
        (".csv", b"MZ\x90\x00", False),
        (".xlsx", b"PK\x03\x04\x14\x00", True),
        (".xlsx", b"date,channel\n", False),
        (".exe", b"MZ", False),
    ],
)
def test_spreadsheet_content_is_checked_by_its_bytes(suffix, head, ok):
    assert (spreadsheet_content_problem(suffix, head) is None) is ok


@pytest.mark.parametrize("url_name", ["kpis:import", "kpis:feedback-import"])
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("facts.pdf", PDF, "Upload a .csv or .xlsx file."),
        ("facts.csv", PDF, "not a CSV text file"),
        ("facts.xlsx", FACTS, "not a real .xlsx workbook"),
        ("facts.csv", b"", "The submitted file is empty."),
    ],
)
def test_import_pages_refuse_a_wrong_type_with_a_form_error(
    marketing_client, shop, url_name, name, data, message
):
    response = marketing_client.post(reverse(url_name), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["file"])
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize("url_name", ["kpis:import", "kpis:feedback-import"])
def test_import_pages_refuse_an_oversized_file(marketing_client, shop, settings, url_name):
    settings.MAX_UPLOAD_BYTES = len(FACTS) - 1
    response = marketing_client.post(
        reverse(url_name), {"file": SimpleUploadedFile("facts.csv", FACTS)}
    )
    assert "larger than" in str(response.context["form"].errors["file"])
    assert not ImportRun.objects.exists()
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.csv"))


def test_the_price_import_refuses_a_disguised_or_oversized_file(marketing_client, monkeypatch):
    url = reverse("partners:price-import")
    response = marketing_client.post(url, {"file": SimpleUploadedFile("prices.csv", PDF)})
    assert "not a CSV text file" in str(response.context["form"].errors["file"])
    monkeypatch.setattr("partners.conflicts.forms.MAX_FILE_BYTES", len(PRICES) - 1)
    response = marketing_client.post(url, {"file": SimpleUploadedFile("prices.csv", PRICES)})
    assert "larger than" in str(response.context["form"].errors["file"])
    assert not PriceObservation.objects.exists()


def test_the_facts_api_refuses_a_disguised_or_oversized_file(marketing_api, shop, settings):
    response = marketing_api.post(
        "/api/v1/facts/", {"file": SimpleUploadedFile("facts.csv", PDF)}, format="multipart"
    )
    assert response.status_code == 400
    assert "not a CSV text file" in response.json()["errors"]["file"][0]
    settings.MAX_UPLOAD_BYTES = len(FACTS) - 1
    response = marketing_api.post(
        "/api/v1/facts/", {"file": SimpleUploadedFile("facts.csv", FACTS)}, format="multipart"
    )
    assert response.status_code == 400
    assert "larger than" in response.json()["errors"]["file"][0]
    assert not ImportRun.objects.exists()


def test_the_contract_document_api_refuses_a_disguised_or_oversized_file(marketing_api, settings):
    contract = ContractFactory()
    url = f"/api/v1/contracts/{contract.pk}/document/"
    response = marketing_api.put(
        url, {"document": SimpleUploadedFile("deal.pdf", b"<html>")}, format="multipart"
    )
    assert response.status_code == 400
    assert "not a real PDF" in str(response.json()["errors"])
    settings.CONTRACT_DOCUMENT_MAX_BYTES = len(PDF) - 1
    response = marketing_api.put(
        url, {"document": SimpleUploadedFile("deal.pdf", PDF)}, format="multipart"
    )
    assert response.status_code == 400
    assert "the limit is" in str(response.json()["errors"])
    contract.refresh_from_db()
    assert not contract.document
