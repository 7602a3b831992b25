"""Slugs keep the letters a name is spelled with (issue 21, item 9)."""

import pytest

from channelhub.lib.text import slugify
from channels_app.channels.services import channel_create
from channels_app.models import Channel
from partners.directory.services import partner_create


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Nordic Outdoor AB", "nordic-outdoor-ab"),
        ("Nørre Outdoor AB", "norre-outdoor-ab"),
        ("Straße & Söhne", "strasse-sohne"),
        ("Łódź Rowery", "lodz-rowery"),
        ("Ærø Cykler", "aero-cykler"),
        ("Café  --  Crème", "cafe-creme"),
        ("東京", "dong-jing"),
        ("!!!", ""),
    ],
)
def test_slugify_transliterates(name, slug):
    assert slugify(name) == slug


def test_slugify_cuts_at_a_word_and_never_ends_on_a_hyphen():
    slug = slugify("Skandinavisk Friluftsliv og Sport " * 5, max_length=70)
    assert len(slug) <= 70
    assert not slug.endswith("-")


@pytest.mark.django_db
def test_partner_and_channel_slugs_transliterate():
    from tests.factories import ChannelFactory

    partner = partner_create(
        channel=ChannelFactory(route=Channel.Route.INDIRECT), name="Nørdisk Outdoor AB"
    )
    assert partner.slug == "nordisk-outdoor-ab"
    channel = channel_create(name="Grøn Butik")
    assert channel.slug == "gron-butik"
