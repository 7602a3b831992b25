"""Incentive programme pages, under /partners/incentives/."""

from __future__ import annotations

from django.urls import path

from partners.incentives import services as services

from . import views

urlpatterns = [
    path("", views.program_list, name="programs"),
    path("new/", views.program_create, name="program-create"),
    path("<int:pk>/", views.program_detail, name="program-detail"),
    path("<int:pk>/edit/", views.program_edit, name="program-edit"),
    path("<int:pk>/enroll/", views.enrollment_add, name="program-enroll"),
    path("<int:pk>/claims/", views.claim_submit, name="program-claim"),
    path("<int:pk>/payouts/", views.payout_create, name="program-payout"),
    path("enrollments/<int:pk>/end/", views.enrollment_end, name="enrollment-end"),
    path("claims/<int:pk>/decide/", views.claim_decide, name="claim-decide"),
]
