"""Partner management models, one module per sub-domain.

- partner: tiers, territories, partners, their status history and contacts
- enablement: onboarding checklists, training modules and certifications
- contracts: contracts and compliance attestations
- activity: interactions, performance reviews, flags the daily job raises
- incentives: rebate, per-unit bonus and fund programmes, claims, payouts
- deals: deal registrations
- pricing: the price list (products, MAP) and observed partner prices
- conflicts: conflict cases between partners and/or channels, their timeline
"""

from .activity import (
    Interaction,
    PartnerFlag,
    PartnerReview,
    ReminderLog,
    ReviewActionItem,
    ReviewRevision,
)
from .conflicts import ConflictCase, ConflictNote
from .contracts import ComplianceAttestation, Contract
from .deals import DealRegistration
from .enablement import (
    Certification,
    OnboardingStep,
    OnboardingTemplate,
    OnboardingTemplateStep,
    TrainingCompletion,
    TrainingModule,
)
from .incentives import (
    IncentivePayout,
    IncentiveProgram,
    MdfClaim,
    ProgramEnrollment,
    RebateBracket,
)
from .partner import Partner, PartnerContact, PartnerStatusChange, Territory, Tier
from .pricing import PriceObservation, Product

__all__ = [
    "Certification",
    "ComplianceAttestation",
    "ConflictCase",
    "ConflictNote",
    "Contract",
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
    "PriceObservation",
    "Product",
    "ProgramEnrollment",
    "RebateBracket",
    "ReminderLog",
    "ReviewActionItem",
    "ReviewRevision",
    "Territory",
    "Tier",
    "TrainingCompletion",
    "TrainingModule",
]
