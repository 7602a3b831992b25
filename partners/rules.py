"""Who may see and change partners and everything kept about them: the one place
it is decided (views, templates and selectors only ask these permissions).

Every sub-object (contact, contract, interaction, review, ...) is checked
through the partner it belongs to, so the coming partner-portal role is added
here once, not in each view.
"""

from __future__ import annotations

from typing import Any

import rules
from django.utils import timezone

from channelhub.lib.roles import has_any_role, is_admin, is_partner_manager
from partners.activity.models import Interaction, PartnerReview, ReviewActionItem
from partners.conflicts.models import ConflictCase, PriceObservation
from partners.contracts.models import Contract
from partners.deals.models import DealRegistration
from partners.directory.models import OnboardingStep, Partner, PartnerContact
from partners.directory.roles import edits_all_partners
from partners.incentives.models import (
    IncentivePayout,
    IncentiveProgram,
    MdfClaim,
    ProgramEnrollment,
)
from partners.tiering.models import TierProposal


def partner_of(obj: Any) -> Partner | None:
    """The partner an object belongs to (the partner itself for a partner)."""
    if isinstance(obj, Partner):
        return obj
    if isinstance(
        obj,
        PartnerContact
        | Contract
        | Interaction
        | PartnerReview
        | OnboardingStep
        | ProgramEnrollment
        | MdfClaim
        | IncentivePayout
        | DealRegistration
        | PriceObservation
        | TierProposal,
    ):
        return obj.partner
    if isinstance(obj, ReviewActionItem):
        return obj.review.partner
    return None


@rules.predicate
def manages_partner(user: Any, obj: Any) -> bool:
    partner = partner_of(obj)
    return partner is not None and partner.manager_id is not None and partner.manager_id == user.pk


@rules.predicate
def is_review_author(user: Any, review: PartnerReview | None) -> bool:
    return review is not None and review.author_id == user.pk


@rules.predicate
def review_in_edit_window(user: Any, review: PartnerReview | None) -> bool:
    return review is not None and timezone.now() < review.edit_window_ends_at  # type: ignore[operator]


# A partner manager changes only the partners they own.
edits_partner = edits_all_partners | (is_partner_manager & manages_partner)

rules.add_perm("partners.view_partner", has_any_role)
# A partner manager may register partners; the service makes them the manager.
rules.add_perm("partners.add_partner", edits_all_partners | is_partner_manager)
rules.add_perm("partners.change_partner", edits_partner)
rules.add_perm("partners.delete_partner", is_admin)
rules.add_perm("partners.assign_partner_manager", edits_all_partners)

# Things kept about a partner are changed by whoever may change the partner.
# Each permission is asked with the partner (to add) or the object (to change).
for model in (
    "partnercontact",
    "contract",
    "complianceattestation",
    "onboardingstep",
    "trainingcompletion",
    "certification",
):
    rules.add_perm(f"partners.view_{model}", has_any_role)
    rules.add_perm(f"partners.add_{model}", edits_partner)
    rules.add_perm(f"partners.change_{model}", edits_partner)
    rules.add_perm(f"partners.delete_{model}", edits_partner)

# Signed contract documents: whoever may see the partner may read them.
rules.add_perm("partners.view_contract_document", has_any_role)

rules.add_perm("partners.view_interaction", has_any_role)
rules.add_perm("partners.add_interaction", edits_partner)
rules.add_perm("partners.change_interaction", edits_partner)

rules.add_perm("partners.view_partnerreview", has_any_role)
rules.add_perm("partners.add_partnerreview", edits_partner)
# The author may correct a review for 7 days (while still allowed to edit the
# partner); after that only an administrator, so what was agreed stays put.
rules.add_perm(
    "partners.change_partnerreview",
    is_admin | (is_review_author & review_in_edit_window & edits_partner),
)
# Ticking off an agreed action item is ongoing work, not an edit of the review.
rules.add_perm("partners.change_reviewactionitem", edits_partner)

# The partner portal, seen from inside (asked with the contact or the partner):
# whoever may change the partner invites its people and answers its messages.
# Partner users are granted nothing here: has_any_role excludes them, and the
# portal (channelhub/portal) fetches their objects through their own partner.
rules.add_perm("partners.invite_partnercontact", edits_partner)
rules.add_perm("partners.view_portalmessage", has_any_role)
rules.add_perm("partners.add_portalmessage", edits_partner)
# The proof a partner attached to a fund claim: read like signed contracts.
rules.add_perm("partners.view_mdfclaim_proof", has_any_role)
# The certificate a partner user uploaded with a training completion: the same.
rules.add_perm("partners.view_training_certificate", has_any_role)


# Incentive programmes: partner managers and marketing managers define them;
# a programme is then run by its owner (who created it, unless a marketing
# manager hands it over) and the marketing managers: only they change its
# terms, enrol partners or end enrolments. A partner manager enrols only
# partners they manage, in programmes they own; they claim from a fund for
# the partners they manage, whoever owns it. Spending a fund (deciding claims)
# and recording payouts stays the budget owners' call, not the programme
# owner's, so nobody approves a claim of a partner they manage themselves.


def program_of(obj: Any) -> IncentiveProgram | None:
    """The programme an object belongs to (the programme itself for a programme)."""
    if isinstance(obj, IncentiveProgram):
        return obj
    if isinstance(obj, ProgramEnrollment | MdfClaim | IncentivePayout):
        return obj.program
    return None


@rules.predicate
def owns_program(user: Any, obj: Any) -> bool:
    program = program_of(obj)
    return program is not None and program.owner_id is not None and program.owner_id == user.pk


runs_program = edits_all_partners | (is_partner_manager & owns_program)

rules.add_perm("partners.view_incentiveprogram", has_any_role)
rules.add_perm("partners.add_incentiveprogram", edits_all_partners | is_partner_manager)
rules.add_perm("partners.change_incentiveprogram", runs_program)
rules.add_perm("partners.delete_incentiveprogram", runs_program)
rules.add_perm("partners.assign_incentiveprogram_owner", edits_all_partners)
# Asked with the enrolment (an unsaved one to add): its programme and its partner.
rules.add_perm(
    "partners.add_programenrollment",
    edits_all_partners | (is_partner_manager & owns_program & manages_partner),
)
rules.add_perm(
    "partners.change_programenrollment",
    edits_all_partners | (is_partner_manager & owns_program & manages_partner),
)
rules.add_perm("partners.add_mdfclaim", edits_partner)
rules.add_perm("partners.decide_mdfclaim", edits_all_partners)
rules.add_perm("partners.add_incentivepayout", edits_all_partners)

# --- deal registrations, pricing and conflicts -------------------------------------

rules.add_perm("partners.view_dealregistration", has_any_role)
# Registered for a partner (asked with the partner) by whoever may change it;
# corrected while it waits, likewise. Approving and rejecting is the
# programme's call: marketing managers and administrators.
rules.add_perm("partners.add_dealregistration", edits_partner)
rules.add_perm("partners.change_dealregistration", edits_partner)
rules.add_perm("partners.decide_dealregistration", edits_all_partners)
# Asked without an object: may this user register deals for any partner at all?
rules.add_perm("partners.register_deals", edits_all_partners | is_partner_manager)

# The price list is the programme's; observed prices are recorded per partner.
rules.add_perm("partners.view_product", has_any_role)
rules.add_perm("partners.add_product", edits_all_partners)
rules.add_perm("partners.change_product", edits_all_partners)
rules.add_perm("partners.view_priceobservation", has_any_role)
rules.add_perm("partners.add_priceobservation", edits_partner)
# A file may hold many partners: each row is checked against the partners the
# importer may record prices for (all of them for the programme leads).
rules.add_perm("partners.import_priceobservation", edits_all_partners | is_partner_manager)


@rules.predicate
def is_conflict_owner(user: Any, case: ConflictCase | None) -> bool:
    return case is not None and case.owner_id is not None and case.owner_id == user.pk


@rules.predicate
def manages_a_conflict_party(user: Any, case: ConflictCase | None) -> bool:
    if case is None:
        return False
    # Prefetched on pages; one indexed query otherwise.
    return any(p.manager_id == user.pk for p in case.partners.all())


rules.add_perm("partners.view_conflictcase", has_any_role)
# Anyone who runs partners may open a case; the form asks a partner manager to
# name at least one partner of theirs among the parties.
rules.add_perm("partners.add_conflictcase", edits_all_partners | is_partner_manager)
# A case is worked on by its owner and the managers of the partners in it.
rules.add_perm(
    "partners.change_conflictcase",
    edits_all_partners | (is_partner_manager & (is_conflict_owner | manages_a_conflict_party)),
)
# Deciding it (resolving, dismissing: either lifts the approval gate of its
# deals) and handing it to someone else is its owner's or a marketing
# manager's: a party never closes a case against another party alone.
decides_conflict = edits_all_partners | (is_partner_manager & is_conflict_owner)
rules.add_perm("partners.close_conflictcase", decides_conflict)
rules.add_perm("partners.assign_conflictcase_owner", decides_conflict)

# Tier proposals of the daily tier rules: everyone with a role reads them; the
# partner's manager (or whoever may change the partner) confirms or dismisses.
rules.add_perm("partners.view_tierproposal", has_any_role)
rules.add_perm("partners.change_tierproposal", edits_partner)
