"""The mapping step (docs/user-guide.md, "Files from other programs"): a file of
an unknown shape asks how to read it, shows its first rows, suggests fields,
maps channel values (or one channel for the file), and remembers the answer
as a source, so the next file of that shape is imported without questions.
Who may answer it and who may delete a source: the uploader and the owner."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channelhub.lib.roles import MARKETING_MANAGER
from channels_app.channels.models import Channel
from kpis.ingest.forms import value_field
from kpis.models import DailyFact, ImportRun, Source
from tests.auth import signed_in_client
from tests.factories import ChannelFactory, UserFactory

pytestmark = pytest.mark.django_db

ADS = (
    "Campaign report\n"
    "Day;Campaign;Cost;Conv. value;Impr.;CTR;Shipping\n"
    "05.01.2025;Brand EU;1.234,50 €;5.000,00 €;1.200;1,5%;3,00\n"
    "05.01.2025;Test;1,00 €;0,00 €;10;0%;0\n"
    "06.01.2025;Brand EU;10,00 €;20,00 €;100;1%;0\n"
).encode()


@pytest.fixture
def search():
    return ChannelFactory(name="Paid Search", slug="paid-search")


def upload(client, data=ADS, name="ads.csv"):
    return client.post(reverse("kpis:import"), {"file": SimpleUploadedFile(name, data)})


def answers(page) -> dict[str, str]:
    """The step's fields as the page pre-fills them."""
    form = page.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else str(value)
    return data


def test_an_unknown_file_opens_the_mapping_step_with_suggestions(marketing_client, search):
    response = upload(marketing_client)
    run = ImportRun.objects.get()
    assert run.status == "mapping"
    assert response["Location"] == reverse("kpis:import-mapping", kwargs={"pk": run.pk})
    page = marketing_client.get(response["Location"])
    text = page.text
    assert "This file looks semicolon-separated; we read it as such." in text
    assert "1.234,50 €" in text  # the first rows, as read
    given = answers(page)
    names = {f.label: f.value() for f in page.context["form"].column_fields}
    assert names == {
        "Day": "date",
        "Campaign": "channel",
        "Cost": "spend",
        "Conv. value": "revenue",
        "Impr.": "impressions",
        "CTR": "__ignore__",
        "Shipping": "",  # an amount: the user must map it or ignore it
    }
    assert given[value_field("Brand EU")] == "" and given[value_field("Test")] == ""
    assert not DailyFact.objects.exists()


def test_the_answers_import_the_file_and_are_remembered_as_a_source(
    marketing_client, marketing_user, search, django_capture_on_commit_callbacks
):
    upload(marketing_client)
    run = ImportRun.objects.get()
    url = reverse("kpis:import-mapping", kwargs={"pk": run.pk})
    data = answers(marketing_client.get(url))
    # Nothing chosen for the amounts column and the unknown values: refused, re-shown.
    data["save_as"] = "Google Ads EU"
    page = marketing_client.post(url, data)
    assert page.status_code == 200
    assert "Choose a field, or “Ignore this column”." in page.text
    assert "No channel has this name: map it, create it or drop it." in page.text
    assert 'value="Google Ads EU"' in page.text
    data.update(
        {
            "col_6": "__ignore__",
            value_field("Brand EU"): "paid-search",
            value_field("Test"): "__drop__",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = marketing_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    run.refresh_from_db()
    assert run.status == "succeeded", run.message
    assert list(
        DailyFact.objects.order_by("day").values_list("day", "spend", "revenue", "impressions")
    ) == [
        (date(2025, 1, 5), D("1234.50"), D("5000.00"), 1200),
        (date(2025, 1, 6), D("10.00"), D("20.00"), 100),
    ]
    assert run.reading["dropped"] == {"Test": 1}
    source = Source.objects.get()
    assert (source.name, source.owner, run.data_source) == ("Google Ads EU", marketing_user, source)
    detail = marketing_client.get(run.get_absolute_url()).text
    assert "Google Ads EU" in detail and "1 row(s) dropped as asked" in detail

    # The next file of that shape: no questions.
    later = ADS.replace(b"05.01.2025", b"07.01.2025").replace(b"06.01.2025", b"08.01.2025")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(marketing_client, later, "ads-2.csv")
    second = ImportRun.objects.latest("pk")
    assert response["Location"] == second.get_absolute_url()
    second.refresh_from_db()
    assert second.status == "succeeded" and second.data_source == source
    assert DailyFact.objects.count() == 4


def test_a_value_can_become_a_new_channel(
    marketing_client, search, django_capture_on_commit_callbacks
):
    upload(marketing_client)
    run = ImportRun.objects.get()
    url = reverse("kpis:import-mapping", kwargs={"pk": run.pk})
    data = answers(marketing_client.get(url))
    data.update(
        {"col_6": "__ignore__", value_field("Brand EU"): "__create__",
         value_field("Test"): "__drop__"}
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        marketing_client.post(url, data)
    created = Channel.objects.get(name="Brand EU")
    assert DailyFact.objects.filter(channel=created).count() == 2


def test_changing_the_channel_column_re_renders_the_step(marketing_client, search):
    upload(marketing_client)
    run = ImportRun.objects.get()
    url = reverse("kpis:import-mapping", kwargs={"pk": run.pk})
    data = answers(marketing_client.get(url))
    data.update({"col_1": "__ignore__", "constant_channel": "paid-search", "refresh": "1"})
    page = marketing_client.post(url, data, HTTP_HX_REQUEST="true")
    assert page.status_code == 200 and "errorlist" not in page.text
    assert page.context["form"].value_fields == []  # no channel column: no values to map
    assert page.context["form"]["constant_channel"].value() == "paid-search"
    assert ImportRun.objects.get().status == "mapping"


def test_only_the_uploader_answers_the_step_and_only_the_owner_deletes_a_source(
    marketing_client, marketing_user, viewer_client, search
):
    upload(marketing_client)
    run = ImportRun.objects.get()
    url = reverse("kpis:import-mapping", kwargs={"pk": run.pk})
    tom = signed_in_client(UserFactory(username="tom", role=MARKETING_MANAGER))
    for client in (tom, viewer_client):
        assert client.get(url).status_code == 403
        assert client.post(url, {"save_as": "Mine"}).status_code == 403
    assert ImportRun.objects.get().status == "mapping" and not Source.objects.exists()

    source = Source.objects.create(name="Shop", owner=marketing_user, plan={})
    delete = reverse("kpis:source-delete", kwargs={"pk": source.pk})
    assert tom.post(delete).status_code == 403
    assert viewer_client.post(delete).status_code == 403
    assert Source.objects.filter(pk=source.pk).exists()
    assert "Shop" in tom.get(reverse("kpis:sources")).text
    # The Delete button is shown to the owner only.
    assert delete not in tom.get(reverse("kpis:sources")).text
    assert delete in marketing_client.get(reverse("kpis:sources")).text
    assert marketing_client.post(delete).status_code == 302
    assert not Source.objects.exists()


def test_a_file_in_channelhubs_own_format_needs_no_questions(marketing_client):
    ChannelFactory(slug="web-shop")
    response = upload(marketing_client, b"date,channel,spend\n2025-01-02,web-shop,1\n", "f.csv")
    run = ImportRun.objects.get()
    assert response["Location"] == run.get_absolute_url() and run.status != "mapping"


GOOGLE_ADS = (
    b"Campaign report\n"
    b'"November 1, 2026 - November 2, 2026"\n'
    b"Day,Campaign,Campaign status,Currency code,Cost,Impr.,Clicks,Conversions,Conv. value,CTR\n"
    b'2026-11-01,Brand - EU,Enabled,USD,"1,204.50","12,345",830,41.5,"6,210.00",6.72%\n'
    b'2026-11-02,Brand - EU,Enabled,USD,790.00,"8,800",380,11.0,"1,820.00",4.32%\n'
    b'Total: Account,,,,"1,994.50","21,145","1,210",52.5,"8,030.00",5.72%\n'
)


def test_an_export_of_a_known_platform_starts_from_its_ready_made_format(
    marketing_client, search, django_capture_on_commit_callbacks
):
    """A Google Ads campaign report: the format is recognised from its header, so
    its currency codes and fractional conversions are ignored as the format says,
    nothing is asked about them, and one channel for the file needs no values."""
    upload(marketing_client, GOOGLE_ADS, "google-ads.csv")
    run = ImportRun.objects.get()
    url = reverse("kpis:import-mapping", kwargs={"pk": run.pk})
    page = marketing_client.get(url)
    assert page.context["form"]["preset"].value() == "google-ads"
    names = {f.label: f.value() for f in page.context["form"].column_fields}
    assert names["Currency code"] == "__ignore__" and names["Conversions"] == "__ignore__"
    assert (names["Cost"], names["Conv. value"], names["Impr."]) == (
        "spend",
        "revenue",
        "impressions",
    )
    # Still to answer on arrival: the campaign is no channel.
    assert page.context["question"].startswith("No channel is called “Brand - EU”")
    data = answers(page)
    data.update({"constant_channel": "paid-search", "refresh": "1"})
    again = marketing_client.post(url, data, HTTP_HX_REQUEST="true")
    assert again.context["form"].value_fields == [] and again.context["question"] == ""
    del data["refresh"]
    data["save_as"] = "Google Ads - EU account"
    with django_capture_on_commit_callbacks(execute=True):
        response = marketing_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    run.refresh_from_db()
    assert run.status == "succeeded", (run.message, run.errors)
    assert list(
        DailyFact.objects.order_by("day").values_list(
            "channel__slug", "day", "spend", "revenue", "impressions", "clicks", "orders"
        )
    ) == [
        ("paid-search", date(2026, 11, 1), D("1204.50"), D("6210.00"), 12345, 830, 0),
        ("paid-search", date(2026, 11, 2), D("790.00"), D("1820.00"), 8800, 380, 0),
    ]
    assert run.reading["skipped_count"] == 1  # the "Total: Account" row
    assert Source.objects.get().preset == "google-ads"


def test_choosing_another_format_sets_the_columns_again(marketing_client, search):
    upload(marketing_client, GOOGLE_ADS, "google-ads.csv")
    run = ImportRun.objects.get()
    url = reverse("kpis:import-mapping", kwargs={"pk": run.pk})
    data = answers(marketing_client.get(url))
    data.update({"preset": "", "refresh": "1", "apply_preset": "1"})
    page = marketing_client.post(url, data, HTTP_HX_REQUEST="true")
    names = {f.label: f.value() for f in page.context["form"].column_fields}
    # Read by their names alone: conversions become orders, as the name says.
    assert names["Conversions"] == "orders" and names["Currency code"] == "__ignore__"


def test_an_amount_column_that_matches_nothing_is_asked_about_on_arrival(marketing_client):
    ChannelFactory(slug="web-shop")
    data = b"date,channel,spend,Shipping fee\n2026-11-05,web-shop,100.00,12.50\n"
    upload(marketing_client, data, "shop.csv")
    run = ImportRun.objects.get()
    page = marketing_client.get(reverse("kpis:import-mapping", kwargs={"pk": run.pk}))
    assert page.context["question"] == (
        "These columns hold amounts but match no field, so they would be lost: “Shipping fee”. "
        "Map them to a field or tick “ignore” in the mapping step."
    )
    assert "Still to answer" in page.text and "command line" not in page.text


def test_a_file_rejected_for_unknown_channels_can_map_them_instead(
    marketing_client, django_capture_on_commit_callbacks
):
    shop = ChannelFactory(slug="web-shop")
    data = (
        b"date,channel,spend\n2026-11-05,web-shop,100.00\n2026-11-05,Pinterest,40\n"
        b"2026-11-06,Pinterest,45\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(marketing_client, data, "week.csv")
    rejected = ImportRun.objects.get()
    assert rejected.status == "rejected"
    detail = marketing_client.get(rejected.get_absolute_url())
    assert detail.context["may_remap"] and detail.context["unknown_channels"] == ["Pinterest"]
    assert "Map the channel values of this file" in detail.text
    remap = reverse("kpis:import-remap", kwargs={"pk": rejected.pk})

    # Only the uploader (or an administrator) may; a viewer sees no button either.
    tom = signed_in_client(UserFactory(username="tom", role=MARKETING_MANAGER))
    assert tom.post(remap).status_code in (403, 404)
    assert ImportRun.objects.count() == 1

    response = marketing_client.post(remap)
    again = ImportRun.objects.latest("pk")
    assert response["Location"] == reverse("kpis:import-mapping", kwargs={"pk": again.pk})
    assert (again.status, again.original_name) == ("mapping", "week.csv")
    url = response["Location"]
    answer = answers(marketing_client.get(url))
    answer[value_field("Pinterest")] = "__drop__"
    with django_capture_on_commit_callbacks(execute=True):
        marketing_client.post(url, answer)
    again.refresh_from_db()
    assert again.status == "succeeded", again.message
    assert list(DailyFact.objects.values_list("channel", "spend")) == [(shop.pk, D("100.00"))]
    assert again.reading["dropped"] == {"Pinterest": 2}
    rejected.refresh_from_db()
    assert rejected.status == "rejected"  # the rejected import stays as it was
    # A file that was not rejected is not read again this way.
    assert (
        marketing_client.post(reverse("kpis:import-remap", kwargs={"pk": again.pk})).status_code
        == 302
    )
    assert ImportRun.objects.count() == 2


def test_a_saved_sources_file_rejected_for_a_new_value_remembers_its_answer(
    marketing_client, search, django_capture_on_commit_callbacks
):
    """Mapping the rejected file's new value dropped the source: the answer
    was not remembered, and the next file was refused again."""
    upload(marketing_client)
    run = ImportRun.objects.get()
    url = reverse("kpis:import-mapping", kwargs={"pk": run.pk})
    data = answers(marketing_client.get(url))
    data.update(
        {"save_as": "Google Ads EU", "col_6": "__ignore__",
         value_field("Brand EU"): "paid-search", value_field("Test"): "__drop__"}
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert marketing_client.post(url, data).status_code == 302
    source = Source.objects.get()
    # A later file of the source with a campaign it has never seen: refused.
    later = ADS.replace(b"Test", b"Summer").replace(b"05.01.2025", b"09.01.2025")
    later = later.replace(b"06.01.2025", b"10.01.2025")
    with django_capture_on_commit_callbacks(execute=True):
        upload(marketing_client, later, "ads-3.csv")
    rejected = ImportRun.objects.latest("pk")
    assert (rejected.status, rejected.data_source) == ("rejected", source)
    response = marketing_client.post(reverse("kpis:import-remap", kwargs={"pk": rejected.pk}))
    again = ImportRun.objects.latest("pk")
    assert again.data_source == source
    answer = answers(marketing_client.get(response["Location"]))
    answer.update(
        {"col_6": "__ignore__", value_field("Brand EU"): "paid-search",
         value_field("Summer"): "__drop__"}
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        marketing_client.post(response["Location"], answer)
    again.refresh_from_db()
    assert again.status == "succeeded" and again.data_source == source
    source.refresh_from_db()
    # The new answer joins the ones before (Test was dropped in the first file).
    assert source.plan["channel_values"] == {
        "brand eu": "paid-search",
        "test": "__drop__",
        "summer": "__drop__",
    }
    # The next such file: no questions.
    next_one = later.replace(b"09.01.2025", b"11.01.2025").replace(b"10.01.2025", b"12.01.2025")
    with django_capture_on_commit_callbacks(execute=True):
        upload(marketing_client, next_one, "ads-4.csv")
    last = ImportRun.objects.latest("pk")
    last.refresh_from_db()
    assert last.status == "succeeded" and last.data_source == source


def test_campaigns_read_as_one_channel_on_the_same_day_say_why_they_are_refused(
    marketing_client, search, django_capture_on_commit_callbacks
):
    two_campaigns = GOOGLE_ADS.replace(
        b"2026-11-02,Brand - EU,Enabled,USD,790.00", b"2026-11-01,Generic,Enabled,USD,790.00"
    )
    upload(marketing_client, two_campaigns, "google-ads.csv")
    run = ImportRun.objects.get()
    url = reverse("kpis:import-mapping", kwargs={"pk": run.pk})
    data = answers(marketing_client.get(url))
    data["constant_channel"] = "paid-search"
    with django_capture_on_commit_callbacks(execute=True):
        marketing_client.post(url, data)
    run.refresh_from_db()
    assert run.status == "rejected" and not DailyFact.objects.exists()
    assert run.message.startswith("Several rows are for the same date, channel and partner")
    assert "without a campaign breakdown" in run.message
    assert [(e["line"], e["value"]) for e in run.errors] == [(5, "2026-11-01")]


def test_a_currency_without_exchange_rates_is_refused_before_a_source_is_saved(
    marketing_client, search
):
    from kpis.models import ExchangeRate

    upload(marketing_client)
    run = ImportRun.objects.get()
    url = reverse("kpis:import-mapping", kwargs={"pk": run.pk})
    data = answers(marketing_client.get(url))
    data.update({"currency": "xyz", "save_as": "My ad export"})
    page = marketing_client.post(url, data)
    assert page.status_code == 200
    assert page.context["form"].errors["currency"] == [
        "There are no exchange rates for XYZ: add its daily rates under Exchange rates first, "
        "or leave this empty for USD."
    ]
    assert not Source.objects.exists() and ImportRun.objects.get().status == "mapping"
    # A currency with rates is taken.
    ExchangeRate.objects.create(currency="EUR", day="2025-01-01", rate="1.1")
    for code in ("eur", "usd"):  # (usd: the reporting currency)
        page = marketing_client.post(url, {**data, "currency": code})
        assert page.status_code == 200 and page.context["form"].errors  # other answers missing
        assert "currency" not in page.context["form"].errors


def test_the_reporting_currency_gets_no_exchange_rate(marketing_client):
    page = marketing_client.post(
        reverse("kpis:rates"), {"currency": "usd", "day": "2025-01-01", "rate": "2"}
    )
    assert page.status_code == 200
    assert "USD is the reporting currency" in page.text
    from kpis.models import ExchangeRate

    assert not ExchangeRate.objects.exists()
