"""The partner portal's URLs, under /portal/ (PortalGateMiddleware keeps
partner users inside this prefix)."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("actions/<int:pk>/done/", views.action_item_done, name="action-done"),
    path("deals/", views.deal_list, name="deal-list"),
    path("deals/new/", views.deal_create, name="deal-create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal-detail"),
    path("messages/", views.message_thread, name="messages"),
    path("funds/", views.fund_list, name="funds"),
    path("funds/<int:pk>/claim/", views.claim_create, name="claim-create"),
    path("claims/<int:pk>/proof/", views.claim_proof, name="claim-proof"),
    path("training/", views.training, name="training"),
    path("training/<int:pk>/certificate/", views.training_certificate, name="training-certificate"),
    path("contracts/", views.contract_list, name="contracts"),
    path("contracts/<int:pk>/document/", views.contract_document, name="contract-document"),
    path(
        "contracts/<int:pk>/acknowledge/", views.contract_acknowledge, name="contract-acknowledge"
    ),
    path("library/", views.library, name="library"),
    path("library/<int:pk>/download/", views.library_download, name="library-download"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept"),
]
