"""Deal, conflict, dashboard and price pages for each role: real content, bad
input, the workflows through the pages, and query counts that do not grow
with the data.

One module past 500 lines on purpose: the deal, conflict and price pages are
one workflow (a registration overlaps, a case opens, a price breaks MAP) and
share one world of fixtures; the services each have their own tests in
partners/deals and partners/conflicts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.conflicts import services as conflicts_services
from partners.conflicts.charts import build_open_conflicts_figure, build_time_to_resolve_figure
from partners.conflicts.models import ConflictCase, PriceObservation, Product
from partners.conflicts.selectors import (
    open_conflict_counts,
    open_conflicts_by_channel,
    open_conflicts_frame,
    resolve_times_frame,
)
from partners.deals import services as deals_services
from partners.deals.models import DealRegistration
from tests.auth import password_login
from tests.factories import (
    ChannelFactory,
    ConflictCaseFactory,
    DealFactory,
    PartnerFactory,
    PriceObservationFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


@pytest.fixture
def collision(pauls_partner, indirect_channel, other_partner_user):
    """Petra's partner holds Acme; Paul's partner registered Acme too."""
    alpine = PartnerFactory(
        name="Alpine Supply", slug="alpine", channel=indirect_channel, manager=other_partner_user
    )
    held = deals_services.deal_register(
        partner=alpine,
        customer_name="Acme GmbH",
        customer_domain="acme.de",
        country="DE",
        estimated_value=Decimal("80000"),
        expected_close_on=_today() + timedelta(days=40),
    )
    newer = deals_services.deal_register(
        partner=pauls_partner,
        customer_name="ACME",
        customer_domain="https://www.acme.de",
        country="DE",
        estimated_value=Decimal("60000"),
        expected_close_on=_today() + timedelta(days=50),
    )
    return {"held": held, "newer": newer, "alpine": alpine, "case": ConflictCase.objects.get()}


# --- deals -------------------------------------------------------------------------


def test_the_deal_list_shows_registrations_to_every_role(
    collision, partner_client, viewer_client, marketing_client
):
    for client in (partner_client, viewer_client, marketing_client):
        response = client.get(reverse("partners:deal-list"))
        assert response.status_code == 200
        text = response.text
        assert "Acme GmbH" in text and "Alpine Supply" in text and "$80,000" in text
        assert text.count(">conflict</span>") == 2
    assert "+ Register deal" in partner_client.get(reverse("partners:deal-list")).text
    assert "+ Register deal" not in viewer_client.get(reverse("partners:deal-list")).text


def test_the_deal_list_filters(collision, marketing_client, pauls_partner):
    DealFactory(partner=pauls_partner, customer_name="Zeta Corp", status="approved")
    url = reverse("partners:deal-list")

    def names(**params):
        return [d.customer_name for d in marketing_client.get(url, params).context["deals"]]

    assert set(names()) == {"Acme GmbH", "ACME", "Zeta Corp"}
    assert names(status="approved") == ["Zeta Corp"]
    assert set(names(conflict="yes")) == {"Acme GmbH", "ACME"}
    assert names(conflict="no") == ["Zeta Corp"]
    assert names(partner=collision["alpine"].pk) == ["Acme GmbH"]
    assert names(q="zeta") == ["Zeta Corp"]
    assert names(sort="customer") == ["ACME", "Acme GmbH", "Zeta Corp"]
    response = marketing_client.get(url, {"q": "zeta"}, HTTP_HX_REQUEST="true")
    assert "<html" not in response.text and "Zeta Corp" in response.text


def test_the_deal_list_runs_the_same_queries_for_5_or_30_deals(marketing_client, pauls_partner):
    url = reverse("partners:deal-list")
    for _ in range(5):
        DealFactory(partner=pauls_partner)
    marketing_client.get(url)
    with CaptureQueriesContext(connection) as five:
        marketing_client.get(url)
    for _ in range(25):
        deal = DealFactory(partner=PartnerFactory(channel=pauls_partner.channel))
        ConflictCaseFactory(partners=[deal.partner]).deals.add(deal)
    with CaptureQueriesContext(connection) as thirty:
        response = marketing_client.get(url)
    assert len(response.context["deals"]) == 25
    assert len(thirty) == len(five)


def test_a_colliding_deal_shows_its_conflict_and_cannot_be_approved(collision, marketing_client):
    newer, case = collision["newer"], collision["case"]
    page = marketing_client.get(newer.get_absolute_url()).text
    assert "Another partner's registration names the same customer." in page
    assert f"#{case.pk} Deal overlap: ACME registered by Nordlicht Handel" in page
    assert 'value="approve" disabled' in page
    response = marketing_client.post(
        reverse("partners:deal-decide", args=[newer.pk]), {"decision": "approve"}, follow=True
    )
    assert "resolve it first" in response.text
    assert DealRegistration.objects.get(pk=newer.pk).status == "submitted"


def test_a_marketing_manager_approves_and_rejects_on_the_page(pauls_partner, marketing_client):
    deal = DealFactory(
        partner=pauls_partner, submitted_on=_today(), expires_on=_today() + timedelta(days=90)
    )
    other = DealFactory(
        partner=pauls_partner, submitted_on=_today(), expires_on=_today() + timedelta(days=90)
    )
    until = _today() + timedelta(days=45)
    response = marketing_client.post(
        reverse("partners:deal-decide", args=[deal.pk]),
        {"decision": "approve", "expires_on": until.isoformat()},
        follow=True,
    )
    assert f"Approved: protected until {until:%Y-%m-%d}." in response.text
    deal.refresh_from_db()
    assert (deal.status, deal.expires_on) == ("approved", until)
    response = marketing_client.post(
        reverse("partners:deal-decide", args=[other.pk]), {"decision": "reject"}, follow=True
    )
    assert "Say why the registration is rejected." in response.text
    marketing_client.post(
        reverse("partners:deal-decide", args=[other.pk]),
        {"decision": "reject", "note": "Not a fit"},
    )
    other.refresh_from_db()
    assert (other.status, other.decision_note) == ("rejected", "Not a fit")


def test_the_decision_buttons_are_only_for_the_programme(
    collision, partner_client, viewer_client, marketing_client
):
    url = collision["held"].get_absolute_url()
    assert "Approve</button>" in marketing_client.get(url).text
    assert "Approve</button>" not in partner_client.get(url).text
    assert "Approve</button>" not in viewer_client.get(url).text
    # Paul manages the newer one and may still correct it; not Petra's.
    assert "Edit</a>" in partner_client.get(collision["newer"].get_absolute_url()).text
    assert "Edit</a>" not in partner_client.get(url).text


def test_bad_deal_input_is_shown_next_to_the_fields(pauls_partner, partner_client):
    response = partner_client.post(
        reverse("partners:partner-deal-create", args=[pauls_partner.slug]),
        {
            "customer_name": "Typed name",
            "customer_domain": "not a domain",
            "country": "Germany",
            "estimated_value": "-5",
            "expected_close_on": (_today() - timedelta(days=1)).isoformat(),
        },
    )
    errors = response.context["form"].errors
    assert set(errors) == {"customer_domain", "country", "estimated_value", "expected_close_on"}
    assert "Typed name" in response.text
    assert not DealRegistration.objects.exists()


def test_a_partner_manager_registers_a_deal_from_the_picker(
    pauls_partner, partner_client, partner_user
):
    response = partner_client.post(
        reverse("partners:deal-create"),
        {
            "partner": pauls_partner.pk,
            "customer_name": "Globex",
            "customer_domain": "globex.com",
            "country": "us",
            "estimated_value": "12000",
            "expected_close_on": (_today() + timedelta(days=20)).isoformat(),
        },
        follow=True,
    )
    deal = DealRegistration.objects.get()
    assert deal.partner == pauls_partner and deal.registered_by == partner_user
    assert deal.country == "US"
    assert "registered; it waits for approval" in response.text


# --- conflicts ---------------------------------------------------------------------


def test_the_conflict_list_shows_open_cases_first_to_every_role(
    collision, partner_client, viewer_client, marketing_client, marketing_user
):
    closed = ConflictCaseFactory(partners=[collision["alpine"]], title="Old quarrel")
    conflicts_services.conflict_close(
        case=closed, status="dismissed", resolution="No issue", by=marketing_user
    )
    for client in (partner_client, viewer_client, marketing_client):
        text = client.get(reverse("partners:conflict-list")).text
        assert "Deal overlap: ACME registered by Nordlicht Handel" in text
        assert "Old quarrel" not in text
        assert "Alpine Supply" in text and "Deal / customer overlap" in text
    everything = marketing_client.get(reverse("partners:conflict-list"), {"state": ""}).text
    assert "Old quarrel" in everything
    closed_only = marketing_client.get(reverse("partners:conflict-list"), {"state": "closed"})
    assert [c.title for c in closed_only.context["cases"]] == ["Old quarrel"]
    assert "+ Open case" not in viewer_client.get(reverse("partners:conflict-list")).text


def test_the_conflict_list_filters_by_kind_partner_and_channel(
    collision, marketing_client, pauls_partner
):
    other_channel = ChannelFactory(route="indirect", name="Affiliates")
    ConflictCaseFactory(kind="cannibalisation", title="Web shop eats affiliates").channels.add(
        other_channel
    )
    url = reverse("partners:conflict-list")

    def titles(**params):
        return [c.title for c in marketing_client.get(url, params).context["cases"]]

    assert len(titles()) == 2
    assert titles(kind="cannibalisation") == ["Web shop eats affiliates"]
    assert titles(channel=other_channel.pk) == ["Web shop eats affiliates"]
    assert len(titles(channel=pauls_partner.channel.pk)) == 1
    assert len(titles(partner=pauls_partner.pk)) == 1
    assert titles(q=f"#{collision['case'].pk}") == [collision["case"].title]


def test_the_conflict_list_runs_the_same_queries_for_5_or_30_cases(
    marketing_client, pauls_partner, marketing_user
):
    url = reverse("partners:conflict-list")

    def make(n):
        for _ in range(n):
            case = ConflictCaseFactory(
                partners=[pauls_partner, PartnerFactory(channel=pauls_partner.channel)],
                owner=marketing_user,
            )
            case.channels.add(pauls_partner.channel)
            conflicts_services.conflict_add_note(
                case=case, body="Called them", author=marketing_user
            )

    make(5)
    marketing_client.get(url)
    with CaptureQueriesContext(connection) as five:
        marketing_client.get(url)
    make(25)
    with CaptureQueriesContext(connection) as thirty:
        response = marketing_client.get(url)
    assert len(response.context["cases"]) == 25
    assert "1 note" in response.text
    assert len(thirty) == len(five)


def test_a_case_is_worked_through_its_page(collision, partner_client, partner_user):
    case = collision["case"]
    url = case.get_absolute_url()
    page = partner_client.get(url).text
    assert "Acme GmbH" in page and "ACME" in page  # both registrations are the facts
    assert "Case opened by the deal / customer overlap rule" in page
    # A note through htmx comes back as the refreshed timeline only.
    response = partner_client.post(
        reverse("partners:conflict-note", args=[case.pk]),
        {"body": "Called Alpine: their contact left"},
        HTTP_HX_REQUEST="true",
    )
    assert "<html" not in response.text and "Called Alpine: their contact left" in response.text
    assert 'id="timeline"' in response.text
    partner_client.post(
        reverse("partners:conflict-status", args=[case.pk]),
        {"status": "investigating", "note": "Checking dates"},
    )
    case.refresh_from_db()
    assert case.status == "investigating"
    # A party closes a case only once it is theirs (issue 19): the owner decides.
    close = reverse("partners:conflict-close", args=[case.pk])
    assert partner_client.post(close, {"status": "dismissed", "resolution": "x"}).status_code == 403
    ConflictCase.objects.filter(pk=case.pk).update(owner=partner_user)
    # Closing needs a resolution; the form says so.
    response = partner_client.post(
        reverse("partners:conflict-close", args=[case.pk]), {"status": "resolved"}
    )
    assert response.status_code == 200 and "resolution" in response.context["form"].errors
    response = partner_client.post(
        reverse("partners:conflict-close", args=[case.pk]),
        {
            "status": "resolved",
            "resolution": "Alpine registered first and keeps Acme.",
            "rule_agreed": "First registration wins",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved" and case.closed_by == partner_user
    assert case.time_to_resolve is not None
    page = partner_client.get(url).text
    assert "First registration wins" in page and "Resolved on" in page
    bodies = list(case.notes.values_list("body", flat=True))
    assert bodies[1:] == [
        "Called Alpine: their contact left",
        "Status: Open → Investigating. Checking dates",
        "Status: Investigating → Resolved. Alpine registered first and keeps Acme. "
        "Rule agreed: First registration wins",
    ]
    # Reopening needs a reason.
    partner_client.post(reverse("partners:conflict-status", args=[case.pk]), {"status": "open"})
    assert ConflictCase.objects.get(pk=case.pk).status == "resolved"
    partner_client.post(
        reverse("partners:conflict-status", args=[case.pk]),
        {"status": "open", "note": "Alpine lost the deal"},
    )
    assert ConflictCase.objects.get(pk=case.pk).status == "open"


def test_handing_a_case_over_emails_the_new_owner(
    collision, marketing_client, partner_user, mailoutbox, django_capture_on_commit_callbacks
):
    case = collision["case"]
    # No channel owner and no marketing manager when it was detected: nobody's,
    # never a party's manager (issue 19), so only a marketing manager decides.
    assert case.owner is None
    with django_capture_on_commit_callbacks(execute=True):
        response = marketing_client.post(
            reverse("partners:conflict-edit", args=[case.pk]),
            {
                "title": case.title,
                "severity": "high",
                "owner": partner_user.pk,
                "partners": [p.pk for p in case.partners.all()],
                "description": case.description,
            },
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == partner_user and case.severity == "high"
    assert [m.to for m in mailoutbox] == [[partner_user.email]]
    assert "handed to you" in mailoutbox[0].subject
    assert case.notes.filter(body__contains="Severity: Medium → High").exists()


def test_a_case_opened_by_hand_appears_with_its_parties(
    pauls_partner, marketing_client, marketing_user
):
    channel = ChannelFactory(name="Web Shop")
    response = marketing_client.post(
        reverse("partners:conflict-create"),
        {
            "kind": "cannibalisation",
            "title": "Web shop discounts undercut resellers",
            "severity": "high",
            "owner": marketing_user.pk,
            "partners": [pauls_partner.pk],
            "channels": [channel.pk],
            "description": "Spring sale at 30% off.",
        },
    )
    case = ConflictCase.objects.get()
    assert response["Location"] == case.get_absolute_url()
    assert (case.kind, case.source, case.opened_by) == ("cannibalisation", "manual", marketing_user)
    page = marketing_client.get(case.get_absolute_url()).text
    assert "Web Shop" in page and "Nordlicht Handel" in page and "Spring sale" in page
    response = marketing_client.post(
        reverse("partners:conflict-create"), {"kind": "other", "title": "Nobody", "severity": "low"}
    )
    assert "Name at least one partner or channel involved." in response.text


# --- the dashboard and its charts ----------------------------------------------------


@pytest.fixture
def history(pauls_partner, marketing_user):
    now = timezone.now()
    for kind, days_ago in (("pricing", 2), ("pricing", 40), ("territory", 100), ("other", 10)):
        ConflictCaseFactory(
            kind=kind, partners=[pauls_partner], opened_at=now - timedelta(days=days_ago)
        )
    for kind, days, status in (
        ("pricing", 4, "resolved"),
        ("pricing", 10, "resolved"),
        ("deal_overlap", 3, "dismissed"),
    ):
        case = ConflictCaseFactory(
            kind=kind, partners=[pauls_partner], opened_at=now - timedelta(days=30)
        )
        conflicts_services.conflict_close(
            case=case,
            status=status,
            resolution="Done",
            by=marketing_user,
            at=case.opened_at + timedelta(days=days),
        )
    return now


def test_the_dashboard_shows_open_cases_by_kind_and_age_and_time_to_close(history, viewer_client):
    response = viewer_client.get(reverse("partners:conflict-dashboard"))
    assert response.status_code == 200
    rows = {r["kind"]: r["counts"] for r in response.context["open_rows"]}
    assert rows["pricing"] == [1, 0, 1, 0] and rows["territory"] == [0, 0, 0, 1]
    assert rows["other"] == [0, 1, 0, 0] and rows["deal_overlap"] == [0, 0, 0, 0]
    summary = {r["kind"]: r for r in response.context["resolve_rows"]}
    assert summary["pricing"]["closed"] == 2 and summary["pricing"]["median_days"] == 7.0
    assert summary["deal_overlap"]["mean_days"] == 3.0 and summary["territory"]["closed"] == 0
    stats = response.context["stats"]
    assert (stats["open"], stats["closed_30"]) == (4, 3)
    text = response.text
    assert "open-conflicts-figure" in text and "time-to-resolve-figure" in text
    assert "vendor/plotly.min.js" in text
    assert "<script>" not in text.replace('<script type="application/json"', "")


def test_the_open_cases_chart_stacks_ages_per_kind(history):
    figure = build_open_conflicts_figure(open_conflicts_frame(now=history))
    assert [t.name for t in figure.data] == ["0-7 days", "8-30 days", "31-90 days", "over 90 days"]
    kinds = list(figure.data[0].y)
    assert kinds == [label for _k, label in ConflictCase.Kind.choices]
    assert all(t.orientation == "h" for t in figure.data)
    by_bucket = {t.name: dict(zip(t.y, t.x, strict=True)) for t in figure.data}
    assert by_bucket["0-7 days"]["Pricing discrepancy"] == 1
    assert by_bucket["31-90 days"]["Pricing discrepancy"] == 1
    assert by_bucket["over 90 days"]["Territory overlap"] == 1
    assert by_bucket["8-30 days"]["Other"] == 1
    assert figure.layout.barmode == "stack"


def test_the_time_to_close_chart_has_the_median_per_kind_and_outcome(history):
    figure = build_time_to_resolve_figure(resolve_times_frame(now=history))
    resolved, dismissed = figure.data
    assert (resolved.name, list(resolved.x), list(resolved.y)) == (
        "Resolved",
        ["Pricing discrepancy"],
        [7.0],
    )
    assert list(resolved.customdata) == [2]
    assert (list(dismissed.x), list(dismissed.y)) == (["Deal / customer overlap"], [3.0])


def test_empty_dashboard_charts_have_no_traces():
    empty = pd.DataFrame(columns=["kind", "kind_label", "bucket", "count", "status", "days"])
    assert build_open_conflicts_figure(empty).data == ()
    assert build_time_to_resolve_figure(empty).data == ()


def test_open_conflict_counts_for_the_dashboards(history, pauls_partner):
    counts = open_conflict_counts()
    assert counts == {
        "total": 4,
        "high": 0,
        "pricing": 2,
        "territory": 1,
        "deal_overlap": 0,
        "cannibalisation": 0,
        "other": 1,
    }
    assert open_conflicts_by_channel() == {pauls_partner.channel_id: 4}


# --- the price list ----------------------------------------------------------------


def test_the_price_list_shows_products_and_prices_below_map(
    pauls_partner, viewer_client, marketing_client, partner_client
):
    desk = ProductFactory(sku="DSK-200", name="Standing desk", list_price="599", map_price="499")
    ProductFactory(sku="OLD-1", name="Old lamp", is_active=False, map_price=None)
    PriceObservationFactory(partner=pauls_partner, product=desk, price="449", observed_on=_today())
    PriceObservationFactory(partner=pauls_partner, product=desk, price="520", observed_on=_today())
    response = viewer_client.get(reverse("partners:price-list"))
    text = response.text
    assert "Standing desk" in text and "$499.00" in text and "no MAP" in text
    assert '<span class="badge bad">$449.00</span>' in text
    products = {p.sku: p for p in response.context["products"]}
    assert (products["DSK-200"].recent_observations, products["DSK-200"].recent_below_map) == (2, 1)
    assert "+ Product" not in text and "+ Record a price" not in text
    assert "+ Product" in marketing_client.get(reverse("partners:price-list")).text
    assert "+ Record a price" in partner_client.get(reverse("partners:price-list")).text
    below = marketing_client.get(reverse("partners:price-list"), {"below": "yes"})
    assert [o.price for o in below.context["observations"]] == [Decimal("449.00")]


def test_the_price_list_runs_the_same_queries_for_5_or_30_prices(marketing_client, pauls_partner):
    url = reverse("partners:price-list")

    def make(n):
        for _ in range(n):
            product = ProductFactory()
            PriceObservationFactory(partner=pauls_partner, product=product, price="10")

    make(5)
    marketing_client.get(url)
    with CaptureQueriesContext(connection) as five:
        marketing_client.get(url)
    make(20)
    with CaptureQueriesContext(connection) as many:
        marketing_client.get(url)
    assert len(many) == len(five)


def test_bad_price_list_input_is_refused(pauls_partner, marketing_client, partner_client):
    response = marketing_client.post(
        reverse("partners:product-create"),
        {"sku": "bad sku!", "name": "Desk", "list_price": "100", "map_price": "120"},
    )
    errors = response.context["form"].errors
    assert "sku" in errors and errors["map_price"] == ["The MAP cannot be above the list price."]
    assert not Product.objects.exists()
    desk = ProductFactory(sku="DSK-200")
    response = partner_client.post(
        reverse("partners:partner-observation-create", args=[pauls_partner.slug]),
        {
            "product": desk.pk,
            "price": "-3",
            "observed_on": (_today() + timedelta(days=2)).isoformat(),
            "where_seen": "",
        },
    )
    assert set(response.context["form"].errors) == {"price", "observed_on", "where_seen"}
    assert not PriceObservation.objects.exists()


def test_recording_a_price_below_map_says_which_case_holds_it(pauls_partner, partner_client):
    desk = ProductFactory(sku="DSK-200", map_price="499.00", list_price="599.00")
    response = partner_client.post(
        reverse("partners:partner-observation-create", args=[pauls_partner.slug]),
        {
            "product": desk.pk,
            "price": "399",
            "observed_on": _today().isoformat(),
            "where_seen": "https://nordlicht.example/desk",
        },
        follow=True,
    )
    case = ConflictCase.objects.get()
    assert f"conflict case #{case.pk} holds it" in response.text
    # Recording the same sighting twice is refused next to the form.
    response = partner_client.post(
        reverse("partners:partner-observation-create", args=[pauls_partner.slug]),
        {
            "product": desk.pk,
            "price": "399",
            "observed_on": _today().isoformat(),
            "where_seen": "https://nordlicht.example/desk",
        },
    )
    assert "already recorded" in response.text
    assert PriceObservation.objects.count() == 1


# --- the home page -------------------------------------------------------------------


def test_the_home_page_shows_each_user_their_conflicts_and_registrations(
    collision, pauls_partner, partner_client, other_partner_user, viewer_client, marketing_client
):
    from django.test import Client

    DealFactory(
        partner=pauls_partner,
        customer_name="Waiting Corp",
        submitted_on=_today(),
        expires_on=_today() + timedelta(days=90),
    )
    maria = marketing_client.get(reverse("home")).text
    assert "Registrations to decide" in maria and "Waiting Corp" in maria
    assert "ACME" not in maria.split('id="conflicts-today"')[1]  # held up by its case
    paul = partner_client.get(reverse("home")).text
    assert "Your registrations in a conflict" in paul and ">ACME</a>" in paul
    assert "Registrations to decide" not in paul
    petra = Client()
    password_login(petra, other_partner_user.username)
    text = petra.get(reverse("home")).text
    # A party's manager no longer owns a detected case (issue 19): not in her panel.
    assert "Cases you own" not in text
    assert 'id="conflicts-today"' not in viewer_client.get(reverse("home")).text
