"""The brand library: marketing (and the managers of a channel's partners)
publish, replace and withdraw files; files are checked like contract
documents; partners read their channel's current versions in the portal."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channelhub.lib.roles import MARKETING_MANAGER, PARTNER_MANAGER, VIEWER
from channels_app.library.models import LibraryItem, LibraryVersion
from tests.auth import signed_in_client
from tests.documents import image_bytes, pdf_bytes
from tests.factories import ChannelFactory, PartnerFactory, UserFactory, make_partner_user
from tests.test_authorization_audit import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maria = UserFactory(username="maria", role=MARKETING_MANAGER)
    paul = UserFactory(username="paul", role=PARTNER_MANAGER)
    petra = UserFactory(username="petra", role=PARTNER_MANAGER)
    resellers = ChannelFactory(name="Resellers", slug="resellers", owner=maria)
    shops = ChannelFactory(name="Shops", slug="shops", owner=maria)
    acme = PartnerFactory(name="Acme", channel=resellers, manager=paul)
    globex = PartnerFactory(name="Globex", channel=shops, manager=petra)
    return {
        "maria": maria,
        "paul": paul,
        "petra": petra,
        "resellers": resellers,
        "alice": make_partner_user(acme, "alice"),
        "bob": make_partner_user(globex, "bob"),
    }


def _pdf(name="prices.pdf"):
    return SimpleUploadedFile(name, pdf_bytes(), "application/pdf")


def _publish(client, title="Price list 2026", file=None):
    return client.post(
        reverse("channels:library-create", args=["resellers"]),
        {"title": title, "kind": "price_list", "description": "Net prices", "file": file or _pdf()},
    )


def test_marketing_publishes_replaces_and_partners_get_the_current_version(world):
    maria = signed_in_client(world["maria"])

    assert _publish(maria).status_code == 302
    item = LibraryItem.objects.get()
    assert item.current.number == 1 and item.current.file_name == "prices.pdf"
    response = maria.post(
        reverse("channels:library-item", args=[item.pk]),
        {"file": SimpleUploadedFile("logo.png", image_bytes("PNG"), "image/png"), "note": "March"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.current.number == 2 and item.current.note == "March"
    assert list(item.versions.values_list("number", flat=True)) == [2, 1]

    alice = signed_in_client(world["alice"])
    page = alice.get(reverse("portal:library"))
    assert "Price list 2026" in page.text and "v2" in page.text and "logo.png" in page.text
    download = alice.get(reverse("portal:library-download", args=[item.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == image_bytes("PNG")
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # The first version stays downloadable inside.
    first = item.versions.get(number=1)
    inside = maria.get(reverse("channels:library-download", args=[first.pk]))
    assert b"".join(inside.streaming_content) == pdf_bytes()


def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_is_written(world):
    fake = SimpleUploadedFile("prices.pdf", b"<html><script>alert(1)</script></html>")
    before = database_state()

    response = _publish(signed_in_client(world["maria"]), file=fake)

    assert response.status_code == 200
    assert "not a real PDF" in response.text
    assert "Price list 2026" in response.text  # what was typed is shown again
    assert database_state() == before


def test_a_second_item_of_the_same_title_is_refused_in_words(world):
    maria = signed_in_client(world["maria"])
    _publish(maria)

    response = _publish(maria, title="price LIST 2026")

    assert response.status_code == 200
    assert "already has an item of this title" in response.text
    assert LibraryItem.objects.count() == 1 and LibraryVersion.objects.count() == 1


def test_a_partner_manager_publishes_only_where_their_partners_sell(world):
    assert _publish(signed_in_client(world["paul"])).status_code == 302
    item = LibraryItem.objects.get()
    petra = signed_in_client(world["petra"])
    viewer = signed_in_client(UserFactory(username="vera", role=VIEWER))
    before = database_state()

    for client in (petra, viewer):
        assert _publish(client, title="Other").status_code == 403
        replace = client.post(reverse("channels:library-item", args=[item.pk]), {"file": _pdf()})
        assert replace.status_code == 403
        withdraw = client.post(reverse("channels:library-withdraw", args=[item.pk]))
        assert withdraw.status_code == 403
    assert database_state() == before
    # Reading is for every role.
    assert petra.get(reverse("channels:library-item", args=[item.pk])).status_code == 200


def test_a_withdrawn_item_leaves_the_portal_and_cannot_be_replaced(world):
    maria = signed_in_client(world["maria"])
    _publish(maria)
    item = LibraryItem.objects.get()

    assert maria.post(reverse("channels:library-withdraw", args=[item.pk])).status_code == 302
    item.refresh_from_db()
    assert item.withdrawn_at is not None and item.withdrawn_by == world["maria"]

    alice = signed_in_client(world["alice"])
    assert "Price list 2026" not in alice.get(reverse("portal:library")).text
    assert alice.get(reverse("portal:library-download", args=[item.pk])).status_code == 404
    response = maria.post(reverse("channels:library-item", args=[item.pk]), {"file": _pdf()})
    assert "withdrawn" in response.text and item.versions.count() == 1
    listing = maria.get(reverse("channels:library-list") + "?show=withdrawn")
    assert "Price list 2026" in listing.text


def test_a_partner_of_another_channel_sees_none_of_it(world):
    _publish(signed_in_client(world["maria"]))
    item = LibraryItem.objects.get()
    bob = signed_in_client(world["bob"])

    assert "Price list 2026" not in bob.get(reverse("portal:library")).text
    assert bob.get(reverse("portal:library-download", args=[item.pk])).status_code == 404


def test_the_portal_library_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    maria = signed_in_client(world["maria"])
    for n in range(6):
        _publish(maria, title=f"Item {n}")
    alice = signed_in_client(world["alice"])

    with django_assert_max_num_queries(12):
        response = alice.get(reverse("portal:library"))
    assert response.text.count("Item ") >= 6
