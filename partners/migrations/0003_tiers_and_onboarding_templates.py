"""Reference data every installation starts with: the four tiers and one
onboarding checklist per partner kind. Administrators edit both afterwards."""

from django.db import migrations

TIERS = [
    # code, name, rank, review cadence in days, description
    ("registered", "Registered", 10, 180, "Signed up; reviewed twice a year."),
    ("silver", "Silver", 20, 120, "Trained and selling; reviewed every four months."),
    ("gold", "Gold", 30, 90, "Strategic; reviewed every quarter."),
    ("platinum", "Platinum", 40, 60, "Top partners; reviewed every two months."),
]

COMMON_START = ["Agreement signed", "Portal access granted"]
COMMON_END = ["Product training completed", "First deal closed"]
EXTRA_STEPS = {
    "reseller": ["Price list and discounts shared", "Demo stock ordered"],
    "distributor": ["Logistics and EDI set up", "Credit limit agreed", "Sub-reseller plan agreed"],
    "affiliate": ["Tracking links issued", "Brand guidelines accepted"],
    "agency": ["Brand guidelines accepted", "Campaign brief agreed"],
    "referral": ["Referral form access", "Commission terms explained"],
    "marketplace_seller": ["Listing content approved", "Pricing rules agreed"],
    "oem": ["Technical integration reviewed", "Co-branding approved", "Supply forecast shared"],
}
KIND_LABELS = {
    "reseller": "Reseller",
    "distributor": "Distributor",
    "affiliate": "Affiliate",
    "agency": "Agency",
    "referral": "Referral",
    "marketplace_seller": "Marketplace seller",
    "oem": "OEM",
}


def create(apps, schema_editor):
    Tier = apps.get_model("partners", "Tier")
    Template = apps.get_model("partners", "OnboardingTemplate")
    Step = apps.get_model("partners", "OnboardingTemplateStep")
    for code, name, rank, cadence, description in TIERS:
        Tier.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "rank": rank,
                "review_cadence_days": cadence,
                "description": description,
            },
        )
    for kind, extra in EXTRA_STEPS.items():
        template, created = Template.objects.get_or_create(
            kind=kind, defaults={"name": f"{KIND_LABELS[kind]} onboarding"}
        )
        if created:
            for position, title in enumerate([*COMMON_START, *extra, *COMMON_END], start=1):
                Step.objects.create(template=template, position=position, title=title)


def remove(apps, schema_editor):
    apps.get_model("partners", "OnboardingTemplate").objects.filter(
        kind__in=list(EXTRA_STEPS)
    ).delete()
    apps.get_model("partners", "Tier").objects.filter(code__in=[t[0] for t in TIERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_partner_management")]

    operations = [migrations.RunPython(create, remove)]
