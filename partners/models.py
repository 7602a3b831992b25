"""Every model of the partners app, for Django's app registry and for the apps
above (`from partners.models import Partner`). Each model lives in its
sub-domain's package:

- directory: tiers, territories, partners, status history, contacts, onboarding
- enablement: training modules, completions and certifications
- contracts: contracts and compliance attestations
- activity: interactions and performance reviews
- attention: the flags the daily job raises and the reminders it sent
- incentives: rebate, per-unit bonus and fund programmes, claims, payouts
- deals: deal registrations
- conflicts: conflict cases and their timeline; the price list and observed prices
- access: partner users' portal accounts, their invitations, the message thread
"""

from partners.access.models import (
    ContractAcknowledgement,
    PortalAccount,
    PortalInvitation,
    PortalMessage,
)
from partners.activity.models import Interaction, PartnerReview, ReviewActionItem, ReviewRevision
from partners.attention.models import PartnerFlag, ReminderLog
from partners.conflicts.models import ConflictCase, ConflictNote, PriceObservation, Product
from partners.contracts.models import ComplianceAttestation, Contract
from partners.deals.models import DealRegistration
from partners.directory.models import (
    OnboardingStep,
    OnboardingTemplate,
    OnboardingTemplateStep,
    Partner,
    PartnerContact,
    PartnerStatusChange,
    Territory,
    Tier,
)
from partners.enablement.models import Certification, TrainingCompletion, TrainingModule
from partners.incentives.models import (
    IncentivePayout,
    IncentiveProgram,
    MdfClaim,
    ProgramEnrollment,
    RebateBracket,
)
from partners.tiering.models import TierProposal

__all__ = [
    "Certification",
    "ComplianceAttestation",
    "ConflictCase",
    "ConflictNote",
    "Contract",
    "ContractAcknowledgement",
    "DealRegistration",
    "IncentivePayout",
    "IncentiveProgram",
    "Interaction",
    "MdfClaim",
    "OnboardingStep",
    "OnboardingTemplate",
    "OnboardingTemplateStep",
    "Partner",
    "PartnerContact",
    "PartnerFlag",
    "PartnerReview",
    "PartnerStatusChange",
    "PortalAccount",
    "PortalInvitation",
    "PortalMessage",
    "PriceObservation",
    "Product",
    "ProgramEnrollment",
    "RebateBracket",
    "ReminderLog",
    "ReviewActionItem",
    "ReviewRevision",
    "Territory",
    "Tier",
    "TierProposal",
    "TrainingCompletion",
    "TrainingModule",
]
