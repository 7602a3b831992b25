"""Signed contract documents: type and size limits, stored outside the web root,
served only through a permission-checked view."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partners.contracts.models import Contract
from tests.documents import (
    EXECUTABLE,
    HTML,
    PDF_OVER_EXECUTABLE,
    PDF_OVER_HTML,
    image_bytes,
    pdf_bytes,
)

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _post(client, partner, upload, **extra):
    data = {
        "kind": "reseller",
        "start_on": "2025-01-01",
        "end_on": "2026-12-31",
        "notice_days": "90",
        "discount_pct": "15",
        "exclusive_territories": "de, at",
        "document": upload,
        **extra,
    }
    return client.post(reverse("partners:contract-create", args=[partner.slug]), data)


def test_a_signed_pdf_is_stored_outside_the_web_root(pauls_partner, partner_client):
    response = _post(partner_client, pauls_partner, SimpleUploadedFile("Signed deal.pdf", PDF))
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert contract.document_name == "Signed deal.pdf"
    assert contract.document_type == "application/pdf" and contract.document_size == len(PDF)
    path = Path(contract.document.path)
    assert path.read_bytes() == PDF
    assert Path(settings.MEDIA_ROOT) in path.parents
    # The stored name is random: nothing the user typed reaches the disk path.
    assert "Signed" not in path.name and path.suffix == ".pdf"
    assert [t.code for t in contract.exclusive_territories.all()] == ["AT", "DE"]


@pytest.mark.parametrize(("name", "kind"), [("scan.png", "PNG"), ("scan.jpg", "JPEG")])
def test_a_scanned_image_is_accepted(pauls_partner, partner_client, name, kind):
    response = _post(partner_client, pauls_partner, SimpleUploadedFile(name, image_bytes(kind)))
    assert response.status_code == 302
    assert Contract.objects.get().document_type == f"image/{kind.lower()}"


def test_a_word_document_is_accepted(pauls_partner, partner_client):
    response = _post(partner_client, pauls_partner, SimpleUploadedFile("deal.docx", _docx()))
    assert response.status_code == 302
    assert Contract.objects.get().document_type.endswith("wordprocessingml.document")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("deal.exe", b"MZ\x90\x00binary", "“.exe” files are not accepted"),
        ("deal.html", b"<html><script>alert(1)</script>", "“.html” files are not accepted"),
        ("deal.pdf", b"<html><script>alert(1)</script>", "not a real PDF"),
        ("deal.png", PDF, "not a real PNG image"),
        ("deal.docx", b"PK\x03\x04not really a zip", "not a real Word document"),
        # Polyglots (issue 19 item 6): a PDF head over an executable or a web
        # page does not parse; a real PDF or image carrying one is refused too.
        ("deal.pdf", PDF_OVER_EXECUTABLE, "not a real PDF"),
        ("deal.pdf", PDF_OVER_HTML, "not a real PDF"),
        ("deal.pdf", PDF + HTML, "also holds a program, a web page or a script"),
        ("deal.pdf", PDF + EXECUTABLE, "also holds a program, a web page or a script"),
        ("deal.png", image_bytes("PNG") + HTML, "also holds a program, a web page or a script"),
        ("deal.jpg", b"\xff\xd8\xff\xe0" + EXECUTABLE, "not a real JPEG image"),
    ],
)
def test_it_refuses_a_wrong_type(pauls_partner, partner_client, name, content, message):
    response = _post(partner_client, pauls_partner, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["document"])
    assert not Contract.objects.exists()
    # What the user typed is kept for the next try.
    assert 'value="90"' in response.text and 'value="15"' in response.text


def test_it_refuses_a_file_too_large(pauls_partner, partner_client, settings):
    settings.CONTRACT_DOCUMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("deal.pdf", PDF + b"0" * 2000)
    response = _post(partner_client, pauls_partner, big)
    assert response.status_code == 200
    assert "the limit is" in str(response.context["form"].errors["document"])
    assert not Contract.objects.exists()
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.pdf"))


@pytest.fixture
def signed(pauls_partner, partner_client):
    _post(partner_client, pauls_partner, SimpleUploadedFile("Signed deal.pdf", PDF))
    return Contract.objects.get()


def test_every_role_may_download_it(signed, partner_client, viewer_client, other_partner_user):
    for client in (partner_client, viewer_client):
        response = client.get(reverse("partners:contract-document", args=[signed.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert 'attachment; filename="Signed deal.pdf"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"


def test_an_outsider_asking_for_the_file_is_refused(signed, norole_client, client):
    url = reverse("partners:contract-document", args=[signed.pk])
    assert norole_client.get(url).status_code == 403
    assert client.get(url).status_code == 302  # to sign in
    # No URL serves the media folder itself.
    assert client.get(f"/media/{signed.document.name}").status_code == 404


def test_a_missing_document_is_404(pauls_partner, partner_client):
    from tests.factories import ContractFactory

    contract = ContractFactory(partner=pauls_partner)
    url = reverse("partners:contract-document", args=[contract.pk])
    assert partner_client.get(url).status_code == 404
    assert partner_client.get(reverse("partners:contract-document", args=[9999])).status_code == 404


def test_replacing_the_document_keeps_one_file(
    signed, partner_client, django_capture_on_commit_callbacks
):
    old = Path(signed.document.path)
    with django_capture_on_commit_callbacks(execute=True):
        response = partner_client.post(
            reverse("partners:contract-edit", args=[signed.pk]),
            {
                "kind": "reseller",
                "start_on": "2025-01-01",
                "end_on": "2026-12-31",
                "notice_days": "30",
                "document": SimpleUploadedFile("v2.pdf", pdf_bytes(pages=2)),
            },
        )
    assert response.status_code == 302
    signed.refresh_from_db()
    assert signed.document_name == "v2.pdf" and signed.notice_days == 30
    assert not old.exists() and Path(signed.document.path).exists()


def test_contract_dates_and_percentages_are_checked(pauls_partner, partner_client):
    response = _post(
        partner_client,
        pauls_partner,
        "",
        end_on="2024-01-01",
        discount_pct="120",
        exclusive_territories="germany",
    )
    errors = response.context["form"].errors
    assert errors["end_on"] == ["The end date must be on or after the start date."]
    assert "discount_pct" in errors
    assert "not a region code" in str(errors["exclusive_territories"])
    assert not Contract.objects.exists()
