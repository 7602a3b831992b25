"""The partner pages under /partners/: each sub-domain's views, in one table
because order matters (the partner slug catches what comes after it)."""

from django.urls import include, path

from partners.access import views as access_views
from partners.activity import views as activity_views
from partners.attention import views as attention_views
from partners.contracts import views as contracts_views
from partners.directory import views as directory_views
from partners.enablement import views as enablement_views
from partners.profile import views as profile_views
from partners.tiering import views as tiering_views

app_name = "partners"

urlpatterns = [
    path("", directory_views.partner_list, name="list"),
    path("export.csv", directory_views.partner_export, name="export"),
    path("new/", directory_views.partner_create, name="create"),
    path("incentives/", include("partners.incentives.urls")),
    path("incentives/claims/<int:pk>/proof/", access_views.claim_proof, name="claim-proof"),
    path(
        "contacts/training/<int:pk>/certificate/",
        access_views.training_certificate,
        name="training-certificate",
    ),
    path("tiers/proposals/", tiering_views.proposal_list, name="tier-proposals"),
    path(
        "tiers/proposals/<int:pk>/decide/",
        tiering_views.proposal_decide,
        name="tier-proposal-decide",
    ),
    path("reviews/", attention_views.reviews_due, name="reviews-due"),
    path("reviews/<int:pk>/", activity_views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/edit/", activity_views.review_edit, name="review-edit"),
    path(
        "reviews/actions/<int:pk>/toggle/", activity_views.action_item_toggle, name="action-toggle"
    ),
    path("follow-ups/", attention_views.follow_ups, name="follow-ups"),
    path("expiring/", attention_views.expiring, name="expiring"),
    path("contacts/<int:pk>/edit/", directory_views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", directory_views.contact_delete, name="contact-delete"),
    path("contacts/<int:pk>/invite/", access_views.contact_invite, name="contact-invite"),
    path(
        "contacts/steps/<int:pk>/toggle/",
        directory_views.onboarding_step_toggle,
        name="step-toggle",
    ),
    path(
        "contacts/certifications/<int:pk>/delete/",
        enablement_views.certification_delete,
        name="certification-delete",
    ),
    path("contracts/<int:pk>/edit/", contracts_views.contract_edit, name="contract-edit"),
    path(
        "contracts/<int:pk>/document/", contracts_views.contract_document, name="contract-document"
    ),
    path(
        "contracts/<int:pk>/attestations/new/",
        contracts_views.attestation_create,
        name="attestation-create",
    ),
    path("interactions/<int:pk>/edit/", activity_views.interaction_edit, name="interaction-edit"),
    path("interactions/<int:pk>/done/", activity_views.follow_up_done, name="follow-up-done"),
    path("", include("partners.deals.urls")),
    path("", include("partners.conflicts.urls")),
    path("<slug:slug>/", profile_views.partner_detail, name="detail"),
    path("<slug:slug>/edit/", directory_views.partner_edit, name="edit"),
    path("<slug:slug>/status/", directory_views.partner_set_status, name="status"),
    path("<slug:slug>/contacts/new/", directory_views.contact_create, name="contact-create"),
    path("<slug:slug>/steps/new/", directory_views.onboarding_step_add, name="step-add"),
    path(
        "<slug:slug>/training/new/",
        enablement_views.training_completion_create,
        name="training-create",
    ),
    path(
        "<slug:slug>/certifications/new/",
        enablement_views.certification_create,
        name="certification-create",
    ),
    path("<slug:slug>/contracts/new/", contracts_views.contract_create, name="contract-create"),
    path("<slug:slug>/interactions/", activity_views.interaction_list, name="interactions"),
    path(
        "<slug:slug>/interactions/new/",
        activity_views.interaction_create,
        name="interaction-create",
    ),
    path("<slug:slug>/reviews/new/", activity_views.review_create, name="review-create"),
    path("<slug:slug>/messages/", access_views.portal_messages, name="portal-messages"),
]
