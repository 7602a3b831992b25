from django.urls import include, path

from . import incentive_views, views

app_name = "partners"

urlpatterns = [
    path("", views.partner_list, name="list"),
    path("new/", views.partner_create, name="create"),
    path("incentives/", include(incentive_views.urlpatterns)),
    path("reviews/", views.reviews_due, name="reviews-due"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/edit/", views.review_edit, name="review-edit"),
    path("reviews/actions/<int:pk>/toggle/", views.action_item_toggle, name="action-toggle"),
    path("follow-ups/", views.follow_ups, name="follow-ups"),
    path("expiring/", views.expiring, name="expiring"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
    path("contacts/steps/<int:pk>/toggle/", views.onboarding_step_toggle, name="step-toggle"),
    path(
        "contacts/certifications/<int:pk>/delete/",
        views.certification_delete,
        name="certification-delete",
    ),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract-edit"),
    path("contracts/<int:pk>/document/", views.contract_document, name="contract-document"),
    path(
        "contracts/<int:pk>/attestations/new/", views.attestation_create, name="attestation-create"
    ),
    path("interactions/<int:pk>/edit/", views.interaction_edit, name="interaction-edit"),
    path("interactions/<int:pk>/done/", views.follow_up_done, name="follow-up-done"),
    path("", include("partners.conflict_urls")),
    path("<slug:slug>/", views.partner_detail, name="detail"),
    path("<slug:slug>/edit/", views.partner_edit, name="edit"),
    path("<slug:slug>/status/", views.partner_set_status, name="status"),
    path("<slug:slug>/contacts/new/", views.contact_create, name="contact-create"),
    path("<slug:slug>/steps/new/", views.onboarding_step_add, name="step-add"),
    path("<slug:slug>/training/new/", views.training_completion_create, name="training-create"),
    path(
        "<slug:slug>/certifications/new/",
        views.certification_create,
        name="certification-create",
    ),
    path("<slug:slug>/contracts/new/", views.contract_create, name="contract-create"),
    path("<slug:slug>/interactions/", views.interaction_list, name="interactions"),
    path("<slug:slug>/interactions/new/", views.interaction_create, name="interaction-create"),
    path("<slug:slug>/reviews/new/", views.review_create, name="review-create"),
]
