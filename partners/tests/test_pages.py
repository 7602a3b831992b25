"""Partner pages for each role: real content, filters, bad input, and a query
count that does not grow with the number of partners."""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.activity.charts import build_review_score_figure
from partners.activity.models import REVIEW_CRITERIA
from partners.activity.selectors import review_score_frame
from partners.attention import selectors as attention_selectors
from partners.attention import services as attention_services
from partners.directory.models import OnboardingStep, Partner, PartnerStatusChange, Territory, Tier
from tests.auth import password_login
from tests.factories import (
    ContactFactory,
    ContractFactory,
    InteractionFactory,
    PartnerFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db


def test_the_directory_shows_partners_to_every_role(
    world, partner_client, other_partner_user, viewer_client, marketing_client
):
    for client in (partner_client, viewer_client, marketing_client):
        response = client.get(reverse("partners:list"))
        assert response.status_code == 200
        assert "Nordlicht Handel" in response.text and "Gold" in response.text
    assert "+ New partner" in partner_client.get(reverse("partners:list")).text
    assert "+ New partner" not in viewer_client.get(reverse("partners:list")).text


def test_the_directory_filters_by_channel_kind_tier_status_manager_and_territory(
    marketing_client, partner_user, other_partner_user, indirect_channel
):
    other_channel = PartnerFactory(name="Zeta", kind="affiliate").channel
    de, fr = Territory.objects.create(code="DE"), Territory.objects.create(code="FR")
    gold, silver = Tier.objects.get(code="gold"), Tier.objects.get(code="silver")
    alpha = PartnerFactory(
        name="Alpha", channel=indirect_channel, manager=partner_user, tier=gold, kind="reseller"
    )
    alpha.territories.add(de)
    beta = PartnerFactory(
        name="Beta",
        channel=indirect_channel,
        manager=other_partner_user,
        tier=silver,
        status="at_risk",
        kind="distributor",
    )
    beta.territories.add(de, fr)
    url = reverse("partners:list")

    def names(**params):
        return [p.name for p in marketing_client.get(url, params).context["partners"]]

    assert names() == ["Alpha", "Beta", "Zeta"]
    assert names(channel=indirect_channel.pk) == ["Alpha", "Beta"]
    assert names(channel=other_channel.pk) == ["Zeta"]
    assert names(kind="distributor") == ["Beta"]
    assert names(tier=gold.pk) == ["Alpha"]
    assert names(status="at_risk") == ["Beta"]
    assert names(manager=other_partner_user.pk) == ["Beta"]
    assert names(territory="DE") == ["Alpha", "Beta"]
    assert names(territory="FR") == ["Beta"]
    assert names(q="bet") == ["Beta"]
    assert names(sort="-name") == ["Zeta", "Beta", "Alpha"]
    assert names(sort="tier") == ["Zeta", "Beta", "Alpha"]  # no tier, silver, gold
    response = marketing_client.get(url, {"territory": "FR"}, HTTP_HX_REQUEST="true")
    assert "<html" not in response.text and "Beta" in response.text


def _many_partners(n, channel, manager):
    de = Territory.objects.get_or_create(code="DE")[0]
    for _ in range(n):
        partner = PartnerFactory(channel=channel, manager=manager, tier=Tier.objects.first())
        partner.territories.add(de)
        OnboardingStep.objects.create(partner=partner, title="Signed", done_on=date(2025, 1, 1))
        OnboardingStep.objects.create(partner=partner, title="Trained")
        InteractionFactory(partner=partner)
        attention_services.partner_flags_refresh(today=date(2025, 6, 1), partner=partner)


def test_the_directory_runs_the_same_queries_for_5_or_30_partners(
    marketing_client, indirect_channel, partner_user
):
    url = reverse("partners:list")
    _many_partners(5, indirect_channel, partner_user)
    marketing_client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as five:
        response = marketing_client.get(url)
    assert len(response.context["partners"]) == 5
    assert "1/2 · 50%" in response.text
    _many_partners(25, indirect_channel, partner_user)
    with CaptureQueriesContext(connection) as thirty:
        response = marketing_client.get(url)
    assert len(response.context["partners"]) == 25
    assert len(thirty) == len(five)


def test_the_partner_page_runs_the_same_queries_for_2_or_12_reviews(
    world, marketing_client, partner_user
):
    url = world["partner"].get_absolute_url()
    marketing_client.get(url)
    with CaptureQueriesContext(connection) as few:
        marketing_client.get(url)
    for i in range(10):
        ReviewFactory(
            partner=world["partner"], author=partner_user, reviewed_on=date(2024, 1, i + 1)
        )
        ContactFactory(partner=world["partner"])
        ContractFactory(partner=world["partner"])
    with CaptureQueriesContext(connection) as many:
        marketing_client.get(url)
    assert len(many) == len(few)


def test_the_partner_page_shows_everything_kept_about_the_partner(world, viewer_client):
    ContractFactory(partner=world["partner"], reference="PA-2025-7", discount_pct=15)
    response = viewer_client.get(world["partner"].get_absolute_url())
    text = response.text
    assert response.status_code == 200
    for expected in (
        "Nordlicht Handel",
        "Scorecard",
        "Clara Dubois",  # contact
        "Signed",  # onboarding step
        "Certified sales professional",
        "PA-2025-7",
        "15.00%",
        "Pipeline call",  # interaction
        "Call back",  # its next step
        "Send the co-marketing plan",  # action item of the review
        "review-score-figure",  # chart data
        "vendor/plotly.min.js",
        "No sales figures for this partner yet",
    ):
        assert expected in text, expected
    # A viewer gets no buttons that would only answer 403.
    assert "+ Log review" not in text and "Change status" not in text
    assert response.context["scorecard"]["open_action_items"] == 1
    assert "<script>" not in text.replace('<script type="application/json"', "")


def test_the_owner_sees_the_buttons_and_other_managers_do_not(
    world, partner_client, other_partner_user
):
    from django.test import Client

    assert "+ Log review" in partner_client.get(world["partner"].get_absolute_url()).text
    petra = Client()
    password_login(petra, other_partner_user.username)
    text = petra.get(world["partner"].get_absolute_url()).text
    assert "Nordlicht Handel" in text and "+ Log review" not in text


def test_creating_a_partner_copies_the_onboarding_checklist_and_starts_its_history(
    marketing_client, indirect_channel, partner_user, gold
):
    response = marketing_client.post(
        reverse("partners:create"),
        {
            "name": "Alpine Supply",
            "channel": indirect_channel.pk,
            "kind": "distributor",
            "tier": gold.pk,
            "status": "onboarding",
            "manager": partner_user.pk,
            "territories": "CH AT",
            "website": "https://alpine.example",
        },
    )
    partner = Partner.objects.get()
    assert response.status_code == 302 and response["Location"] == partner.get_absolute_url()
    steps = list(partner.onboarding_steps.values_list("title", flat=True))
    assert steps[0] == "Agreement signed" and steps[-1] == "First deal closed"
    assert len(steps) == 7
    change = PartnerStatusChange.objects.get()
    assert change.to_status == "onboarding" and change.changed_on == timezone.localdate()
    page = marketing_client.get(partner.get_absolute_url()).text
    assert "0% done" in page


def test_a_status_change_is_kept_with_its_date_and_author(world, partner_client, partner_user):
    partner = world["partner"]
    response = partner_client.post(
        reverse("partners:status", args=[partner.slug]),
        {"status": "at_risk", "changed_on": "2025-05-01", "note": "Sales down"},
    )
    assert response.status_code == 302
    change = partner.status_changes.get()
    assert (change.from_status, change.to_status) == ("active", "at_risk")
    assert change.changed_on == date(2025, 5, 1) and change.changed_by == partner_user
    assert "Sales down" in partner_client.get(partner.get_absolute_url()).text
    # Not every move is allowed: an at-risk partner cannot go back to prospect.
    partner_client.post(reverse("partners:status", args=[partner.slug]), {"status": "prospect"})
    assert Partner.objects.get(pk=partner.pk).status == "at_risk"


def test_bad_partner_input_is_shown_next_to_the_fields(marketing_client, indirect_channel):
    direct = PartnerFactory().channel
    direct.route = "direct"
    direct.save()
    response = marketing_client.post(
        reverse("partners:create"),
        {
            "name": "Typed name",
            "channel": direct.pk,
            "kind": "reseller",
            "status": "prospect",
            "territories": "DE, not a code",
            "website": "not a url",
            "slug": "new",
        },
    )
    errors = response.context["form"].errors
    assert "channel" in errors and "website" in errors and "territories" in errors
    assert "Typed name" in response.text
    assert Partner.objects.count() == 1


def test_an_interaction_with_a_follow_up_needs_a_next_step(world, partner_client):
    response = partner_client.post(
        reverse("partners:interaction-create", args=[world["partner"].slug]),
        {
            "kind": "call",
            "occurred_on": "2025-05-01",
            "summary": "Talked pricing",
            "follow_up_on": "2025-04-01",
            "contacts": [world["contact"].pk],
        },
    )
    errors = response.context["form"].errors
    assert errors["next_step"] == ["Say what the follow-up is for."]
    assert "Talked pricing" in response.text


def test_the_work_lists_show_the_managers_own_items_by_default(
    world, partner_client, other_partner_user, indirect_channel
):
    today = timezone.localdate()
    Partner.objects.filter(pk=world["partner"].pk).update(next_review_on=today - timedelta(days=3))
    petras = PartnerFactory(
        name="Petra's partner", channel=indirect_channel, manager=other_partner_user
    )
    Partner.objects.filter(pk=petras.pk).update(next_review_on=today - timedelta(days=3))
    page = partner_client.get(reverse("partners:reviews-due")).text
    assert "Nordlicht Handel" in page and "Petra&#x27;s partner" not in page
    page = partner_client.get(reverse("partners:reviews-due"), {"manager": "all"}).text
    assert "Petra&#x27;s partner" in page
    follow_ups = partner_client.get(reverse("partners:follow-ups")).text
    assert "Call back" in follow_ups
    expiring = partner_client.get(reverse("partners:expiring"))
    assert expiring.status_code == 200


def test_the_home_page_tells_a_manager_what_needs_them_today(world, partner_client, viewer_client):
    today = timezone.localdate()
    Partner.objects.filter(pk=world["partner"].pk).update(next_review_on=today - timedelta(days=2))
    response = partner_client.get(reverse("home"))
    assert "What needs you today" in response.text
    assert "Call back" in response.text  # the overdue follow-up
    assert "Nordlicht Handel" in response.text
    assert "What needs you today" not in viewer_client.get(reverse("home")).text


def test_the_review_chart_is_built_from_the_reviews(world, partner_user):
    ReviewFactory(
        partner=world["partner"],
        author=partner_user,
        reviewed_on=date(2025, 7, 10),
        score_sales=5,
        score_enablement=5,
        score_brand=5,
        score_satisfaction=5,
        score_collaboration=5,
        overall="5.00",
        next_review_on=date(2025, 10, 10),
    )
    figure = build_review_score_figure(review_score_frame(partner=world["partner"]))
    overall = figure.data[0]
    assert overall.name == "Overall"
    assert list(overall.x) == ["2025-04-10", "2025-07-10"]
    assert list(overall.y) == [4.0, 5.0]
    assert [t.name for t in figure.data[1:]] == [label for _n, label in REVIEW_CRITERIA]
    assert list(figure.data[1].y) == [4, 5]
    assert list(figure.layout.yaxis.range) == [0.8, 5.2]
    go.Figure(figure.to_plotly_json())  # Plotly's own validators accept it


def test_an_empty_review_chart_has_no_traces():
    import pandas as pd

    assert build_review_score_figure(pd.DataFrame()).data == ()


def test_the_home_panel_counts_every_contract_item_it_lists(
    pauls_partner, partner_user, partner_client, indirect_channel
):

    today = timezone.localdate()
    ContractFactory(
        partner=pauls_partner,
        start_on=today - timedelta(days=300),
        end_on=today + timedelta(days=20),
    )
    for n in range(2):  # active, managed by Paul, without a contract
        PartnerFactory(channel=indirect_channel, manager=partner_user, name=f"Uncovered {n}")
    panel = attention_selectors.today_for_user(user=partner_user, today=today)
    assert panel is not None
    assert (len(panel["contracts"]), len(panel["uncovered"])) == (1, 2)
    assert panel["contract_count"] == 3
    text = partner_client.get(reverse("home")).text
    assert 'Contracts <span class="badge warn">3</span>' in text


def test_a_single_review_charts_on_a_date_axis_of_months_not_milliseconds(world):
    figure = build_review_score_figure(review_score_frame(partner=world["partner"]))
    assert list(figure.data[0].x) == ["2025-04-10"]
    xaxis = figure.layout.xaxis
    assert xaxis.type == "date"
    # Plotly would autorange one point to a millisecond around it: the axis
    # spans the months around the review instead, labelled by month.
    assert list(xaxis.range) == ["2025-02-24", "2025-05-25"]
    assert (xaxis.tickformat, xaxis.dtick) == ("%b %Y", "M1")
    go.Figure(figure.to_plotly_json())


def test_several_reviews_keep_plotlys_own_date_range(world, partner_user):
    ReviewFactory(
        partner=world["partner"],
        author=partner_user,
        reviewed_on=date(2025, 7, 10),
        next_review_on=date(2025, 10, 10),
    )
    xaxis = build_review_score_figure(review_score_frame(partner=world["partner"])).layout.xaxis
    assert xaxis.type == "date" and xaxis.range is None


def test_a_partner_whose_onboarding_is_done_prompts_its_activation(
    world, partner_client, viewer_client
):
    partner = world["partner"]
    Partner.objects.filter(pk=partner.pk).update(status=Partner.Status.ONBOARDING)
    url = partner.get_absolute_url()
    assert "Onboarding complete" not in partner_client.get(url).text  # one step still open
    OnboardingStep.objects.filter(partner=partner).update(done_on=date(2025, 3, 1))
    text = partner_client.get(url).text
    assert "Onboarding complete" in text
    assert f'action="{reverse("partners:status", args=[partner.slug])}"' in text
    assert 'name="status" value="active"' in text and "Activate Nordlicht Handel" in text
    # A viewer is told, without a button that would answer 403.
    seen = viewer_client.get(url).text
    assert "Onboarding complete" in seen and "Activate Nordlicht Handel" not in seen
    partner_client.post(reverse("partners:status", args=[partner.slug]), {"status": "active"})
    partner.refresh_from_db()
    assert partner.status == Partner.Status.ACTIVE
    assert "Onboarding complete" not in partner_client.get(url).text


def test_the_partner_breadcrumb_names_the_partner_not_its_slug(pauls_partner, viewer_client):
    """Issue 21 item 8: a reader sees "Nordlicht Handel", not "nordlicht"."""
    text = viewer_client.get(pauls_partner.get_absolute_url()).text
    crumbs = text.split('<div class="breadcrumbs">', 1)[1].split("</div>", 1)[0]
    assert "Nordlicht Handel" in crumbs
    assert "nordlicht<" not in crumbs and "/ nordlicht" not in crumbs
