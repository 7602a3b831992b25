"""History and undo that tell the truth: an import whose rows an undo took
away says so, an undone import links its own recompute, a refused undo names
and links the import in the way, the facts history lists facts imports only,
and the XLSX template imports as it is."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kpis.ingest.checks import template_csv, template_xlsx
from kpis.ingest.services import ImportRefused, import_undo
from kpis.models import DailyFact, ImportRun
from kpis.tests.helpers import import_bytes, import_rows
from tests.factories import ChannelFactory, ImportRunFactory, PartnerFactory

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "spend"]


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


def test_an_import_whose_unchanged_rows_an_undo_removed_says_so(marketing_client, shop):
    first = import_rows(HEADER, [["2025-01-01", "web-shop", "5"]])
    again = import_rows(HEADER, [["2025-01-01", "web-shop", "5"]])
    elsewhere = import_rows(HEADER, [["2025-03-01", "web-shop", "5"]])
    assert again.rows_unchanged == 1
    undone = import_undo(run=first, user=None)
    again.refresh_from_db()
    elsewhere.refresh_from_db()
    assert again.changed_by_undo == first and elsewhere.changed_by_undo is None
    page = marketing_client.get(again.get_absolute_url()).text
    assert f"#{first.pk}</a> (facts.csv), of the same channels and dates, was undone" in page
    assert undone.undo_recompute_run.trigger == "undo"
    page = marketing_client.get(first.get_absolute_url()).text
    assert f"Recompute #{undone.undo_recompute_run.pk}" in page
    assert undone.undo_recompute_run.get_absolute_url() in page


def test_a_refused_undo_names_and_links_the_import_in_the_way(marketing_client, shop):
    first = import_rows(HEADER, [["2025-01-01", "web-shop", "5"], ["2025-01-02", "web-shop", "1"]])
    later = import_rows(HEADER, [["2025-01-02", "web-shop", "7"]], name="later.csv")
    with pytest.raises(ImportRefused) as refused:
        import_undo(run=first, user=None)
    assert str(refused.value) == (
        f"Import #{later.pk} (later.csv) replaced 1 of this import's rows; undo that import first."
    )
    response = marketing_client.post(reverse("kpis:import-undo", args=[first.pk]), follow=True)
    assert f'<a href="{later.get_absolute_url()}">Open import #{later.pk}</a>' in response.text
    assert DailyFact.objects.count() == 2


def test_the_facts_history_lists_facts_imports_only(marketing_client):
    facts = ImportRunFactory(original_name="facts-file.csv")
    ImportRunFactory(original_name="survey-file.csv", kind=ImportRun.Kind.FEEDBACK)
    page = marketing_client.get(reverse("kpis:imports")).text
    assert facts.original_name in page and "survey-file.csv" not in page


def test_the_xlsx_template_downloads_and_imports_as_it_is(marketing_client, shop):
    other = ChannelFactory(slug="eu-distributors")
    PartnerFactory(channel=other, slug="nordlicht-handel")  # a demo partner
    response = marketing_client.get(reverse("kpis:import-template-xlsx"))
    assert response.status_code == 200 and response.content[:2] == b"PK"
    run = import_bytes(template_xlsx(), "template.xlsx")
    assert run.status == "succeeded", (run.message, run.errors)
    assert run.rows_added == 2


def test_the_templates_example_rows_name_channels_and_partners_of_the_demo():
    """Uploaded as they are in the demo, the example rows are accepted (they
    named a partner the demo does not have)."""
    import csv
    import io

    from channelhub.lib.text import slugify
    from channels_app.demo.channels import DEMO_CHANNELS
    from kpis.feedback.services import template_csv as feedback_template
    from partners.demo.partners import DEMO_PARTNERS

    channels = {channel[0] for channel in DEMO_CHANNELS}
    partners = {(channel, slugify(name, max_length=70)) for name, channel, *_ in DEMO_PARTNERS}
    for template in (template_csv(), feedback_template()):
        for row in csv.DictReader(io.StringIO(template)):
            assert row["channel"] in channels, row
            if row.get("partner"):
                assert (row["channel"], row["partner"]) in partners, row
