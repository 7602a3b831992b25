"""Pages outside one app: home, sign-in, profile, password reset, admin."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def test_the_login_page_is_styled_like_the_app(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "css/app.css" in response.text and "Forgot your password?" in response.text


def test_home_is_the_portfolio_with_an_honest_empty_state(marketing_client, marketing_user):
    ChannelFactory(name="Web Shop", owner=marketing_user)
    response = marketing_client.get(reverse("home"))
    assert response.status_code == 200
    assert "Channel portfolio" in response.text
    assert "No KPIs for these filters" in response.text
    assert "Import daily facts" in response.text  # a marketing manager may import


def test_home_needs_sign_in(client):
    assert client.get(reverse("home")).status_code == 302


def test_the_profile_shows_the_role(viewer_client):
    assert "Viewer" in viewer_client.get(reverse("profile")).text


def test_password_reset_sends_a_link(client, marketing_user):
    client.post(reverse("password_reset"), {"email": marketing_user.email})
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_the_admin_lists_users_with_their_role(admin_client_, marketing_user):
    response = admin_client_.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 200 and "Marketing manager" in response.text


def test_the_admin_invites_a_user_by_email(admin_client_, viewer_user):
    response = admin_client_.post(
        reverse("admin:auth_user_changelist"),
        {
            "action": "send_invitation",
            "_selected_action": [viewer_user.pk],
        },
        follow=True,
    )
    assert "Sent 1 invitation" in response.text
    assert mail.outbox[0].to == [viewer_user.email]
    assert "/accounts/reset/" in mail.outbox[0].body


@pytest.mark.parametrize(
    "url",
    [
        "admin:channels_app_channel_changelist",
        "admin:channels_app_channelobjective_changelist",
        "admin:partners_partner_changelist",
        "admin:kpis_objectivestatus_changelist",
    ],
)
def test_every_model_has_a_working_admin(admin_client_, url):
    ChannelFactory()
    assert admin_client_.get(reverse(url), {"q": "x"}).status_code == 200
