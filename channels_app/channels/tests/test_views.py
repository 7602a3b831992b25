from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from channels_app.channels.models import Channel, ChannelObjective
from tests.factories import ChannelFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web_shop(marketing_user):
    return ChannelFactory(
        name="Web Shop", slug="web-shop", owner=marketing_user, target_segment="Urban consumers"
    )


# --- list ---------------------------------------------------------------------


def test_the_list_shows_channels_to_every_role(
    web_shop, marketing_client, viewer_client, partner_client
):
    for client in (marketing_client, viewer_client, partner_client):
        response = client.get(reverse("channels:list"))
        assert response.status_code == 200
        assert "Web Shop" in response.text
        assert "Urban consumers" in response.text


def test_an_anonymous_visitor_is_sent_to_sign_in(client, web_shop):
    response = client.get(reverse("channels:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_is_refused(norole_client, web_shop):
    response = norole_client.get(reverse("channels:list"))
    assert response.status_code == 403
    assert "no role" in response.text


def test_the_viewer_sees_no_create_button(web_shop, viewer_client, marketing_client):
    assert "+ New channel" not in viewer_client.get(reverse("channels:list")).text
    assert "+ New channel" in marketing_client.get(reverse("channels:list")).text


def test_filters_search_and_sorting_live_in_the_url(marketing_client):
    ChannelFactory(name="Amazon", kind=Channel.Kind.MARKETPLACE, status="active")
    ChannelFactory(name="Zalando", kind=Channel.Kind.MARKETPLACE, status="planned")
    ChannelFactory(name="Newsletter", kind=Channel.Kind.EMAIL)
    url = reverse("channels:list")
    by_kind = marketing_client.get(url, {"kind": "marketplace"}).text
    assert "Amazon" in by_kind and "Zalando" in by_kind and "Newsletter" not in by_kind
    by_status = marketing_client.get(url, {"kind": "marketplace", "status": "planned"}).text
    assert "Zalando" in by_status and "Amazon" not in by_status
    assert "Newsletter" in marketing_client.get(url, {"q": "news"}).text
    names = [c.name for c in marketing_client.get(url, {"sort": "-name"}).context["channels"]]
    assert names == ["Zalando", "Newsletter", "Amazon"]


def test_the_list_is_paginated(marketing_client):
    ChannelFactory.create_batch(30)
    first = marketing_client.get(reverse("channels:list"))
    assert len(first.context["channels"]) == 25
    assert "1–25 of 30" in first.text
    second = marketing_client.get(reverse("channels:list"), {"page": 2})
    assert len(second.context["channels"]) == 5


def test_an_htmx_filter_request_gets_only_the_table(marketing_client, web_shop):
    response = marketing_client.get(reverse("channels:list"), {"q": "web"}, HTTP_HX_REQUEST="true")
    assert "Web Shop" in response.text
    assert "<html" not in response.text


def test_an_empty_list_invites_to_create_the_first_channel(marketing_client):
    response = marketing_client.get(reverse("channels:list"))
    assert "No channels yet" in response.text


# --- detail -------------------------------------------------------------------


def test_the_detail_page_shows_the_channel_and_its_objectives(web_shop, viewer_client):
    ObjectiveFactory(channel=web_shop, metric="revenue", target=Decimal("2400000"))
    response = viewer_client.get(reverse("channels:detail", args=["web-shop"]))
    assert response.status_code == 200
    assert "Urban consumers" in response.text
    assert "$2,400,000.00" in response.text
    assert "No data yet" in response.text
    assert "Edit" not in response.text


def test_an_unknown_channel_is_404(marketing_client):
    assert marketing_client.get(reverse("channels:detail", args=["nope"])).status_code == 404


# --- create / edit / status ---------------------------------------------------


def test_a_marketing_manager_creates_a_channel(marketing_client, marketing_user):
    response = marketing_client.post(
        reverse("channels:create"),
        {
            "name": "Google Ads",
            "slug": "",
            "kind": "paid_search",
            "route": "direct",
            "reach": "online",
            "owner": marketing_user.pk,
            "status": "active",
            "target_segment": "Searchers",
        },
    )
    channel = Channel.objects.get(name="Google Ads")
    assert response.status_code == 302 and response["Location"] == channel.get_absolute_url()
    assert channel.slug == "google-ads" and channel.owner == marketing_user


def test_a_bad_form_is_shown_again_with_messages_next_to_the_fields(marketing_client, web_shop):
    response = marketing_client.post(
        reverse("channels:create"),
        {
            "name": "Typed name",
            "slug": "web-shop",
            "kind": "nonsense",
            "route": "direct",
            "reach": "online",
            "status": "active",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "slug" in form.errors and "kind" in form.errors
    assert 'value="Typed name"' in response.text
    assert Channel.objects.count() == 1


@pytest.mark.parametrize("client_name", ["viewer_client", "partner_client"])
def test_only_marketing_managers_change_channels(request, client_name, web_shop):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("channels:create")).status_code == 403
    assert client.post(reverse("channels:create"), {"name": "X"}).status_code == 403
    assert client.get(reverse("channels:edit", args=["web-shop"])).status_code == 403
    assert (
        client.post(reverse("channels:edit", args=["web-shop"]), {"name": "X"}).status_code == 403
    )
    assert (
        client.post(reverse("channels:status", args=["web-shop"]), {"status": "paused"}).status_code
        == 403
    )
    web_shop.refresh_from_db()
    assert (web_shop.name, web_shop.status) == ("Web Shop", "active")
    assert Channel.objects.count() == 1


def test_a_marketing_manager_edits_a_channel(marketing_client, web_shop, marketing_user):
    response = marketing_client.post(
        reverse("channels:edit", args=["web-shop"]),
        {
            "name": "Web Shop EU",
            "slug": "web-shop",
            "kind": "ecommerce",
            "route": "direct",
            "reach": "online",
            "status": "active",
            "owner": marketing_user.pk,
        },
    )
    assert response.status_code == 302
    web_shop.refresh_from_db()
    assert web_shop.name == "Web Shop EU"


def test_pause_and_retire_buttons_change_the_status(marketing_client, web_shop):
    url = reverse("channels:status", args=["web-shop"])
    marketing_client.post(url, {"status": "paused"})
    web_shop.refresh_from_db()
    assert web_shop.status == "paused"
    page = marketing_client.get(web_shop.get_absolute_url()).text
    assert "Resume" in page and "Retire" in page
    marketing_client.post(url, {"status": "retired", "confirm": "yes"})
    web_shop.refresh_from_db()
    assert web_shop.status == "retired"


def test_retiring_asks_once_more_and_says_what_it_does(marketing_client, web_shop):
    url = reverse("channels:status", args=["web-shop"])
    page = marketing_client.post(url, {"status": "retired"})
    assert page.status_code == 200
    assert "Retire “Web Shop”?" in page.text and "Reopen as planned" in page.text
    assert 'name="confirm" value="yes"' in page.text
    web_shop.refresh_from_db()
    assert web_shop.status == "active"  # nothing changed until it is confirmed
    marketing_client.post(url, {"status": "retired", "confirm": "yes"})
    web_shop.refresh_from_db()
    assert web_shop.status == "retired"


def test_the_retire_question_is_not_shown_to_who_may_not_retire(
    partner_client, viewer_client, web_shop
):
    # Channels are run by every marketing manager (a role, not an owner).
    url = reverse("channels:status", args=["web-shop"])
    for client in (partner_client, viewer_client):
        response = client.post(url, {"status": "retired"})
        assert response.status_code == 403
        assert "Retire “Web Shop”?" not in response.text
    web_shop.refresh_from_db()
    assert web_shop.status == "active"


def test_an_impossible_status_change_says_why(marketing_client, web_shop):
    web_shop.status = "retired"
    web_shop.save()
    response = marketing_client.post(
        reverse("channels:status", args=["web-shop"]), {"status": "paused"}, follow=True
    )
    assert "can only become: planned" in response.text


def test_status_changes_need_post(marketing_client, web_shop):
    assert marketing_client.get(reverse("channels:status", args=["web-shop"])).status_code == 405


# --- objectives ---------------------------------------------------------------


def test_a_marketing_manager_sets_an_objective_with_a_percentage(marketing_client, web_shop):
    response = marketing_client.post(
        reverse("channels:objective-create", args=["web-shop"]),
        {
            "metric": "roi",
            "target": "25%",
            "direction": "",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "description": "Keep ROI up",
        },
    )
    assert response.status_code == 302
    objective = ChannelObjective.objects.get(channel=web_shop)
    assert objective.target == Decimal("0.25")
    assert objective.direction == "at_least"
    page = marketing_client.get(web_shop.get_absolute_url()).text
    assert "≥ 25.0%" in page and "Keep ROI up" in page


def test_objective_errors_show_next_to_their_fields(marketing_client, web_shop):
    response = marketing_client.post(
        reverse("channels:objective-create", args=["web-shop"]),
        {
            "metric": "revenue",
            "target": "-10",
            "start_date": "2025-05-01",
            "end_date": "2025-04-01",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "cannot be negative" in errors["target"][0]
    assert "on or after" in errors["end_date"][0]
    assert not ChannelObjective.objects.exists()


def test_a_percent_metric_warns_about_a_whole_number(marketing_client, web_shop):
    response = marketing_client.post(
        reverse("channels:objective-create", args=["web-shop"]),
        {
            "metric": "ctr",
            "target": "25",
            "start_date": "2025-01-01",
            "end_date": "2025-02-01",
        },
    )
    assert "type 0.25 or 25%" in response.context["form"].errors["target"][0]


@pytest.mark.parametrize(
    ("metric", "target", "message"),
    [
        ("nps", "500", "NPS runs from -100 to 100."),
        ("nps", "-101", "NPS runs from -100 to 100."),
        ("avg_rating", "99", "Average rating runs from 1 to 5."),
        ("avg_rating", "0.5", "Average rating runs from 1 to 5."),
        ("orders", "2.5", "Orders are counted in whole numbers: type 2 or 3."),
        ("clicks", "1000.1", "Clicks are counted in whole numbers: type 1000 or 1001."),
        ("ctr", "150%", "CTR cannot be above 100%: clicks are a part of impressions."),
        (
            "gross_margin_pct",
            "120%",
            "Gross margin cannot be above 100%: gross profit is a part of revenue.",
        ),
    ],
)
def test_a_target_a_metric_cannot_reach_is_refused(
    marketing_client, web_shop, metric, target, message
):
    response = marketing_client.post(
        reverse("channels:objective-create", args=["web-shop"]),
        {"metric": metric, "target": target, "start_date": "2025-01-01", "end_date": "2025-02-01"},
    )
    assert response.context["form"].errors["target"] == [message]
    assert not ChannelObjective.objects.exists()


def test_a_percentage_objective_is_edited_as_a_percentage(marketing_client, web_shop):
    url = reverse("channels:objective-create", args=["web-shop"])
    fields = {
        "metric": "roi",
        "target": "50%",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
    }
    assert marketing_client.post(url, fields).status_code == 302
    objective = ChannelObjective.objects.get()
    assert objective.target == Decimal("0.5")
    form = marketing_client.get(reverse("channels:objective-edit", args=[objective.pk]))
    assert form.context["form"]["target"].value() == "50%"
    assert (
        marketing_client.post(
            reverse("channels:objective-edit", args=[objective.pk]), {**fields, "direction": ""}
        ).status_code
        == 302
    )
    objective.refresh_from_db()
    assert objective.target == Decimal("0.5")


def test_an_identical_objective_is_refused_with_a_clear_message(marketing_client, web_shop):
    url = reverse("channels:objective-create", args=["web-shop"])
    fields = {
        "metric": "revenue",
        "target": "50000",
        "direction": "",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
    }
    assert marketing_client.post(url, fields).status_code == 302
    again = marketing_client.post(url, {**fields, "description": "the same again"})
    assert again.status_code == 200
    assert again.context["form"].non_field_errors() == [
        "Web Shop already has this objective: Revenue ≥ 50000 from 2025-01-01 to 2025-12-31. "
        "Change the target, the dates or the metric, or edit the one it has."
    ]
    assert 'value="the same again"' in again.text  # what was typed is kept
    assert ChannelObjective.objects.filter(channel=web_shop).count() == 1
    # Another target is another objective; editing one into the other is refused too.
    assert marketing_client.post(url, {**fields, "target": "60000"}).status_code == 302
    other = ChannelObjective.objects.get(channel=web_shop, target=Decimal("60000"))
    edit = marketing_client.post(reverse("channels:objective-edit", args=[other.pk]), fields)
    assert "already has this objective" in edit.context["form"].non_field_errors()[0]
    other.refresh_from_db()
    assert other.target == Decimal("60000")


def test_the_owner_list_shows_peoples_names(marketing_client, marketing_user):
    marketing_user.first_name, marketing_user.last_name = "Maria", "Lopez"
    marketing_user.save()
    form = marketing_client.get(reverse("channels:create")).context["form"]
    labels = [label for _value, label in form.fields["owner"].choices]
    assert "Maria Lopez" in labels and marketing_user.username not in labels


def test_the_viewer_cannot_touch_objectives(viewer_client, web_shop):
    objective = ObjectiveFactory(channel=web_shop)
    assert (
        viewer_client.get(reverse("channels:objective-create", args=["web-shop"])).status_code
        == 403
    )
    assert (
        viewer_client.post(reverse("channels:objective-create", args=["web-shop"]), {}).status_code
        == 403
    )
    assert (
        viewer_client.post(reverse("channels:objective-edit", args=[objective.pk]), {}).status_code
        == 403
    )
    assert (
        viewer_client.post(reverse("channels:objective-delete", args=[objective.pk])).status_code
        == 403
    )
    assert ChannelObjective.objects.filter(pk=objective.pk).exists()


def test_a_marketing_manager_edits_and_deletes_an_objective(marketing_client, web_shop):
    objective = ObjectiveFactory(channel=web_shop, target=Decimal("100"))
    edit_url = reverse("channels:objective-edit", args=[objective.pk])
    assert marketing_client.get(edit_url).context["form"].initial["target"] == "100"
    marketing_client.post(
        edit_url,
        {
            "metric": "revenue",
            "target": "150000",
            "direction": "at_least",
            "start_date": "2025-01-01",
            "end_date": "2025-06-30",
        },
    )
    objective.refresh_from_db()
    assert objective.target == Decimal("150000") and objective.end_date == date(2025, 6, 30)
    delete_url = reverse("channels:objective-delete", args=[objective.pk])
    assert "Delete this objective?" in marketing_client.get(delete_url).text
    marketing_client.post(delete_url)
    assert not ChannelObjective.objects.exists()


def test_the_objective_list_filters_by_status(viewer_client, web_shop):
    ObjectiveFactory(channel=web_shop, metric="revenue", description="Sales goal")
    response = viewer_client.get(reverse("channels:objectives"))
    assert response.status_code == 200 and "Sales goal" in response.text
    assert (
        "Sales goal"
        not in viewer_client.get(reverse("channels:objectives"), {"status": "at_risk"}).text
    )


def test_the_channel_breadcrumb_names_the_channel_not_its_slug(web_shop, viewer_client):
    text = viewer_client.get(web_shop.get_absolute_url()).text
    crumbs = text.split('<div class="breadcrumbs">', 1)[1].split("</div>", 1)[0]
    assert f"/ {web_shop.name}" in crumbs
    assert f"/ {web_shop.slug}<" not in crumbs


def test_a_changed_slug_warns_that_files_and_links_must_follow(marketing_client, web_shop):
    data = {
        "name": "Web Shop", "slug": "web-shop-eu", "kind": web_shop.kind,
        "route": web_shop.route, "reach": web_shop.reach, "status": web_shop.status,
        "owner": web_shop.owner_id,
    }  # fmt: skip
    page = marketing_client.post(
        reverse("channels:edit", args=["web-shop"]), data, follow=True
    ).text
    assert "Its slug is now “web-shop-eu”" in page and "“web-shop” is no longer known" in page
    data["name"] = "Web Shop EU"  # the slug unchanged: no warning
    page = marketing_client.post(
        reverse("channels:edit", args=["web-shop-eu"]), data, follow=True
    ).text
    assert "Channel “Web Shop EU” saved." in page and "Its slug is now" not in page


def test_a_viewer_or_a_partners_person_cannot_own_a_channel(marketing_client, web_shop):
    from channelhub.lib.roles import PARTNER_USER, VIEWER
    from tests.factories import UserFactory

    data = {
        "name": "Web Shop", "slug": "web-shop", "kind": web_shop.kind,
        "route": web_shop.route, "reach": web_shop.reach, "status": web_shop.status,
    }  # fmt: skip
    for role in (VIEWER, PARTNER_USER):
        someone = UserFactory(role=role)
        response = marketing_client.post(
            reverse("channels:edit", args=["web-shop"]), {**data, "owner": someone.pk}
        )
        assert response.status_code == 200
        assert response.context["form"].errors["owner"] == [
            "Choose a marketing or partner manager: the owner runs the channel."
        ]
    web_shop.refresh_from_db()
    assert web_shop.owner.username == "maria"
