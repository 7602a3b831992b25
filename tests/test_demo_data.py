"""The demo business a test gets back (tests/demo_data.py) is, row for row and
file for file, what `seed_demo` wrote: a restore cannot be told from a seed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from channels_app.channels.models import Channel
from partners.models import Partner
from tests import demo_data
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def _rows(tables: dict[str, str | demo_data.Rows]) -> dict[str, list[str]]:
    """Each table's rows, in no particular order (as a table holds them)."""
    return {
        table: sorted(data.splitlines() if isinstance(data, str) else map(repr, data[1]))
        for table, data in tables.items()
    }


def _now(day) -> dict[str, list[str]]:
    return _rows(demo_data._take(day).tables)


def test_a_restore_gives_back_exactly_the_seeded_rows_and_files(demo_business):
    snapshot = demo_data._snapshot
    assert snapshot is not None and snapshot.day == timezone.localdate()
    assert _now(snapshot.day) == _rows(snapshot.tables)
    assert snapshot.files, "the demo uploads files (its imports)"
    # The demo's own rows, changed as a test would change them.
    Partner.objects.order_by("pk").first().delete()
    Channel.objects.filter(slug="web-shop").update(name="Renamed")
    get_user_model().objects.create(username="intruder")
    media = Path(settings.MEDIA_ROOT)
    lost = media / next(iter(snapshot.files))
    lost.unlink()
    assert _now(snapshot.day) != _rows(snapshot.tables)

    demo_data._restore(snapshot)

    assert _now(snapshot.day) == _rows(snapshot.tables)
    assert lost.read_bytes() == snapshot.files[str(lost.relative_to(media))]
    # New rows are numbered after the restored ones.
    newest = Channel.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert ChannelFactory().pk > newest


def test_the_demo_is_asked_for_before_rows_are_written(db):
    ChannelFactory()
    with pytest.raises(AssertionError, match="before the fixtures that write rows"):
        demo_data.load_demo()


def test_the_demo_sets_its_stores_and_sales_team_as_not_advertising(demo_business):
    from kpis.modeling.selectors import model_data
    from kpis.models import ModelChannelSetting

    none = ModelChannelSetting.CostBasis.NONE
    assert set(
        ModelChannelSetting.objects.filter(cost_basis=none).values_list("channel__slug", flat=True)
    ) == {"flagship-stores", "field-sales"}
    data = model_data()
    assert data.not_media == ("Field Sales", "Flagship Stores")
    assert "flagship-stores" not in data.media.columns and "google-ads" in data.media.columns
