"""Issue 19, item 1: an incentive programme has an owner, and only its owner
or a marketing manager changes it, enrols partners in it or ends enrolments.

A partner manager still submits fund claims for the partners they manage, in
anyone's fund; deciding claims and recording payouts stays with the budget
owners (marketing managers, administrators).
"""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from partners.incentives import services
from partners.incentives.models import IncentiveProgram, MdfClaim, ProgramEnrollment
from tests.auth import signed_in_client
from tests.factories import ChannelFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(partner_user, other_partner_user):
    """Paul's fund in a channel where Paul and Petra both manage a partner."""
    channel = ChannelFactory(slug="market", route="indirect", name="Marketplace")
    PartnerFactory(channel=channel, manager=partner_user, name="Mine")
    PartnerFactory(channel=channel, manager=other_partner_user, name="Theirs")
    return services.program_create(
        data={
            "name": "Co-marketing fund",
            "kind": "mdf",
            "channel": channel,
            "start_date": date(2025, 1, 1),
            "end_date": date(2025, 12, 31),
            "accrual_period": "quarter",
            "mdf_allocation": D("1000"),
        },
        created_by=partner_user,
        owner=partner_user,
    )


def _terms(fund: IncentiveProgram, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": fund.name,
        "kind": "mdf",
        "channel": fund.channel_id,
        "accrual_period": "quarter",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "rebate_threshold": "0",
        "mdf_allocation": "1000",
        "brackets-TOTAL_FORMS": "0",
        "brackets-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def _row(fund: IncentiveProgram) -> tuple:
    return IncentiveProgram.objects.filter(pk=fund.pk).values_list(
        "name", "mdf_allocation", "end_date", "owner_id", "updated_at"
    )[0]


def test_the_foreign_incentive_program_edit_is_refused(fund, other_partner_user):
    """The report: Petra rewrote Paul's fund as 'HACKED PROGRAM' with 999,999."""
    petra = signed_in_client(other_partner_user)
    before = _row(fund)
    url = reverse("partners:program-edit", args=[fund.pk])
    assert petra.get(url).status_code == 403
    hacked = _terms(fund, name="HACKED PROGRAM", mdf_allocation="999999", end_date="")
    assert petra.post(url, hacked).status_code == 403
    assert _row(fund) == before


def test_the_owner_edits_their_programme_but_cannot_hand_it_over(
    fund, partner_client, other_partner_user
):
    url = reverse("partners:program-edit", args=[fund.pk])
    response = partner_client.post(
        url, _terms(fund, name="Co-marketing fund 2025", owner=other_partner_user.pk)
    )
    assert response.status_code == 302
    fund.refresh_from_db()
    assert fund.name == "Co-marketing fund 2025"
    assert fund.owner.username == "paul"  # reassigning is a marketing manager's call
    assert "owner" not in partner_client.get(url).context["form"].fields


def test_a_marketing_manager_edits_any_programme_and_reassigns_its_owner(
    fund, marketing_client, other_partner_user
):
    url = reverse("partners:program-edit", args=[fund.pk])
    response = marketing_client.post(url, _terms(fund, owner=other_partner_user.pk))
    assert response.status_code == 302
    fund.refresh_from_db()
    assert fund.owner == other_partner_user


def test_a_new_programme_is_owned_by_whoever_creates_it(partner_client, partner_user, fund):
    response = partner_client.post(
        reverse("partners:program-create"),
        _terms(fund, name="Spring fund", owner=""),
    )
    assert response.status_code == 302
    program = IncentiveProgram.objects.get(name="Spring fund")
    assert program.owner == partner_user and program.created_by == partner_user


def test_only_the_owner_or_a_marketing_manager_enrols_partners(
    fund, partner_client, marketing_client, other_partner_user
):
    mine = fund.channel.partners.get(name="Mine")
    theirs = fund.channel.partners.get(name="Theirs")
    petra = signed_in_client(other_partner_user)
    url = reverse("partners:program-enroll", args=[fund.pk])
    # Petra manages "Theirs", but the fund is Paul's.
    assert petra.post(url, {"partner": theirs.pk}).status_code == 403
    assert not ProgramEnrollment.objects.exists()
    assert partner_client.post(url, {"partner": mine.pk}).status_code == 302
    assert marketing_client.post(url, {"partner": theirs.pk}).status_code == 302
    assert sorted(fund.enrollments.values_list("partner__name", flat=True)) == ["Mine", "Theirs"]


def test_only_the_owner_or_a_marketing_manager_ends_an_enrolment(
    fund, partner_client, other_partner_user
):
    theirs = fund.channel.partners.get(name="Theirs")
    enrollment = services.enrollment_add(program=fund, partner=theirs)
    petra = signed_in_client(other_partner_user)
    url = reverse("partners:enrollment-end", args=[enrollment.pk])
    assert petra.post(url, {"end_date": "2025-06-30"}).status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.end_date is None


def test_a_partner_manager_still_claims_for_their_partner_in_anyone_s_fund(
    fund, other_partner_user
):
    theirs = fund.channel.partners.get(name="Theirs")
    services.enrollment_add(program=fund, partner=theirs)
    petra = signed_in_client(other_partner_user)
    response = petra.post(
        reverse("partners:program-claim", args=[fund.pk]),
        {
            "partner": theirs.pk,
            "activity_date": "2025-02-01",
            "amount": "100",
            "description": "Webinar",
        },
    )
    assert response.status_code == 302
    assert MdfClaim.objects.get().partner == theirs


def test_the_programme_owner_does_not_approve_claims(fund, partner_client):
    """Deciding spends the budget: still the marketing managers' call, so an
    owner never approves a claim of a partner they manage themselves."""
    mine = fund.channel.partners.get(name="Mine")
    services.enrollment_add(program=fund, partner=mine)
    claim = services.claim_submit(
        program=fund, partner=mine, activity_date=date(2025, 2, 1), amount=D("50"), description="Ad"
    )
    url = reverse("partners:claim-decide", args=[claim.pk])
    assert partner_client.post(url, {"decision": "approve"}).status_code == 403
    assert MdfClaim.objects.get().status == "submitted"


def test_the_pages_show_the_owner_and_only_the_buttons_one_may_use(
    fund, partner_client, marketing_client, partner_user, other_partner_user
):
    paul = partner_user.get_full_name() or partner_user.username
    edit = reverse("partners:program-edit", args=[fund.pk])
    petra_page = signed_in_client(other_partner_user).get(fund.get_absolute_url())
    assert "Owner" in petra_page.text and paul in petra_page.text
    assert edit not in petra_page.text
    assert "Enrol a partner" not in petra_page.text
    assert edit in partner_client.get(fund.get_absolute_url()).text
    assert edit in marketing_client.get(fund.get_absolute_url()).text
    listing = partner_client.get(reverse("partners:programs"))
    assert "Owner" in listing.text and paul in listing.text


BEFORE = ("partners", "0009_one_certification_per_person")
AFTER = ("partners", "0010_incentive_program_owner")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_makes_each_programme_s_creator_its_owner(
    migrator, partner_user, marketing_user
):
    executor = migrator
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    Program = old.get_model("partners", "IncentiveProgram")
    History = old.get_model("partners", "HistoricalIncentiveProgram")
    Channel = old.get_model("channels_app", "Channel")
    channel = Channel.objects.filter(route="indirect").first() or Channel.objects.create(
        name="Old", slug="old", kind="marketplace", route="indirect", start_date=date(2024, 1, 1)
    )
    terms = {"kind": "mdf", "channel": channel, "start_date": date(2025, 1, 1)}
    by_paul = Program.objects.create(name="Paul's", created_by_id=partner_user.pk, **terms)
    # Created before `created_by` was filled in: its history says who added it.
    by_history = Program.objects.create(name="Maria's", **terms)
    History.objects.create(
        id=by_history.pk,
        name=by_history.name,
        history_type="+",
        history_date=by_history.created_at,
        history_user_id=marketing_user.pk,
        created_at=by_history.created_at,
        updated_at=by_history.updated_at,
        **terms,
    )
    nobody = Program.objects.create(name="Nobody's", **terms)

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    new = executor.loader.project_state([AFTER]).apps.get_model("partners", "IncentiveProgram")
    owners = dict(new.objects.values_list("pk", "owner_id"))
    assert owners[by_paul.pk] == partner_user.pk
    assert owners[by_history.pk] == marketing_user.pk
    assert owners[nobody.pk] is None  # only a marketing manager changes it
