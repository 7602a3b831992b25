"""Email alerts (issue 17 item 6): new attention items, each sent once, a
signed unsubscribe link, and subscriptions nobody else may touch."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from kpis.alerts import services
from kpis.models import AlertSent, AlertSubscription
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet(partner_user):
    """An active channel with no facts at all: "Quiet: no facts yet"."""
    return ChannelFactory(slug="quiet", name="Quiet", status="active")


def _subscribe(user, *channels, frequency="daily"):
    subscription = AlertSubscription(user=user, frequency=frequency, scope="chosen")
    return services.subscription_save(subscription=subscription, channels=channels)


def test_a_digest_sends_each_new_item_once(partner_user, quiet, settings):
    settings.SITE_URL = "https://hub.example.com"
    subscription = _subscribe(partner_user, quiet)
    assert services.digest_send(subscription.pk) == 1
    (email,) = mail.outbox
    assert email.to == ["paul@example.com"]
    assert email.subject == "ChannelHub: 1 new item needs attention"
    assert "- Quiet: no facts yet" in email.body
    # A partner manager cannot import: the item leads to the channel's page.
    assert f"https://hub.example.com{reverse('channels:detail', args=['quiet'])}" in email.body
    assert "/kpis/import/" not in email.body
    # The thresholds in words, never a setting's name.
    assert "no facts for more than 7 days" in email.body and "ATTENTION_" not in email.body
    # Every rule, those without a threshold too (the page listed five, the email four).
    assert "an objective at risk or off track; an open conflict case" in email.body
    token = services.unsubscribe_token(subscription)
    unsubscribe = f"https://hub.example.com/kpis/alerts/unsubscribe/{token}/"
    assert f"Stop these emails: {unsubscribe}" in email.body
    assert email.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    # Nothing new: no email; the item was recorded once.
    assert services.digest_send(subscription.pk) == 0
    assert len(mail.outbox) == 1
    assert list(AlertSent.objects.values_list("item_key", flat=True)) == [f"stale:{quiet.pk}:never"]
    # A second silent channel chosen later: only it is new.
    other = ChannelFactory(slug="mute", name="Mute", status="active")
    subscription.channels.add(other)
    assert services.digests_send(frequency="daily") == 1
    assert "Mute: no facts yet" in mail.outbox[1].body
    assert "Quiet" not in mail.outbox[1].body


def test_a_refused_email_claims_nothing_and_the_next_run_sends_it(partner_user, quiet):
    subscription = _subscribe(partner_user, quiet)
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("refused")):
        assert services.digests_send(frequency="daily") == 0  # logged, not raised
    assert not AlertSent.objects.exists()
    assert services.digest_send(subscription.pk) == 1


def test_only_the_subscriptions_of_that_frequency_and_switched_on_are_sent(
    partner_user, other_partner_user, quiet
):
    _subscribe(partner_user, quiet, frequency="weekly")
    paused = _subscribe(other_partner_user, quiet)
    AlertSubscription.objects.filter(pk=paused.pk).update(is_active=False)
    assert services.digests_send(frequency="daily") == 0
    assert services.digests_send(frequency="weekly") == 1
    assert mail.outbox[0].to == ["paul@example.com"]


def test_the_channels_i_own(marketing_user, quiet):
    ChannelFactory(slug="mine", name="Mine", status="active", owner=marketing_user)
    subscription = services.subscription_save(
        subscription=AlertSubscription(user=marketing_user, scope="owned"), channels=[]
    )
    assert services.digest_send(subscription.pk) == 1
    assert "Mine: no facts yet" in mail.outbox[0].body and "Quiet" not in mail.outbox[0].body


def test_the_unsubscribe_link_works_without_signing_in_and_only_on_a_button(
    client, partner_user, quiet
):
    subscription = _subscribe(partner_user, quiet)
    url = reverse("kpis:alert-unsubscribe", args=[services.unsubscribe_token(subscription)])
    page = client.get(url)
    assert page.status_code == 200 and "Stop these emails" in page.text
    subscription.refresh_from_db()
    assert subscription.is_active  # a mail scanner opening the link changes nothing
    done = client.post(url)
    assert done.status_code == 200 and "Alert emails stopped" in done.text
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert services.digests_send(frequency="daily") == 0
    forged = reverse("kpis:alert-unsubscribe", args=[f"{subscription.pk}:forged"])
    assert client.post(forged).status_code == 404


# --- The pages ---------------------------------------------------------------------------

URL = reverse("kpis:alerts")
CREATE = reverse("kpis:alert-create")


def test_a_partner_manager_subscribes_to_channels_of_their_choice(partner_client, quiet):
    response = partner_client.post(
        CREATE, {"frequency": "weekly", "scope": "chosen", "channels": [quiet.pk]}
    )
    assert response.status_code == 302
    (subscription,) = AlertSubscription.objects.all()
    assert (subscription.user.username, subscription.frequency) == ("paul", "weekly")
    assert list(subscription.channels.all()) == [quiet]
    listing = partner_client.get(URL)
    assert "Every Monday morning" in listing.text and "Quiet" in listing.text


def test_bad_choices_are_refused_with_a_message_and_nothing_written(partner_client, quiet):
    none_chosen = partner_client.post(CREATE, {"frequency": "daily", "scope": "chosen"})
    assert "Choose at least one channel." in none_chosen.text
    owns_none = partner_client.post(CREATE, {"frequency": "daily", "scope": "owned"})
    assert "You own no channel yet: choose the channels to follow instead." in owns_none.text
    assert 'value="owned" checked' in owns_none.text or "checked" in owns_none.text
    assert not AlertSubscription.objects.exists()
    partner_client.post(CREATE, {"frequency": "daily", "scope": "chosen", "channels": [quiet.pk]})
    twice = partner_client.post(
        CREATE, {"frequency": "daily", "scope": "chosen", "channels": [quiet.pk]}
    )
    assert "You already get this email: change that one instead." in twice.text
    assert AlertSubscription.objects.count() == 1


def test_another_users_subscription_is_not_found_and_stays_as_it_was(
    partner_user, other_partner_user, marketing_client, client, quiet
):
    from tests.auth import password_login

    subscription = _subscribe(partner_user, quiet)
    assert password_login(client, "petra")
    edit = reverse("kpis:alert-edit", args=[subscription.pk])
    delete = reverse("kpis:alert-delete", args=[subscription.pk])
    for caller in (client, marketing_client):  # same role, and another manager role
        assert caller.get(edit).status_code == 404
        assert caller.post(edit, {"frequency": "weekly", "scope": "chosen"}).status_code == 404
        assert caller.post(delete).status_code == 404
    subscription.refresh_from_db()
    assert subscription.frequency == "daily" and list(subscription.channels.all()) == [quiet]
    # Nor does it show on their list.
    assert "Quiet" not in marketing_client.get(URL).text


def test_viewers_may_not_subscribe(viewer_client, quiet):
    assert viewer_client.get(URL).status_code == 403
    assert viewer_client.post(CREATE, {"frequency": "daily", "scope": "chosen"}).status_code == 403
    assert not AlertSubscription.objects.exists()


def test_no_digest_goes_to_someone_whose_manager_role_was_taken(partner_user, quiet):
    """A subscription stays (it comes back with the role), but nothing is sent
    to a viewer, who may not even open the page that manages it."""
    from django.contrib.auth.models import Group

    subscription = _subscribe(partner_user, quiet)
    partner_user.groups.set([Group.objects.get_or_create(name="viewer")[0]])
    assert services.digest_send(subscription.pk) == 0
    assert not mail.outbox and not AlertSent.objects.exists()


def test_an_item_is_emailed_once_to_a_person_with_a_daily_and_a_weekly_digest(partner_user, quiet):
    _subscribe(partner_user, quiet, frequency="daily")
    assert services.digests_send(frequency="daily") == 1
    weekly = _subscribe(partner_user, quiet, frequency="weekly")
    assert services.digest_send(weekly.pk) == 0
    assert len(mail.outbox) == 1
    # A new item still goes out by whichever digest comes first.
    other = ChannelFactory(slug="mute", name="Mute", status="active")
    weekly.channels.add(other)
    assert services.digest_send(weekly.pk) == 1
    assert "Mute: no facts yet" in mail.outbox[1].body and "Quiet" not in mail.outbox[1].body
