"""Deal registration pages, under /partners/ (included ahead of the partner pages,
whose slugs may not be "deals")."""

from django.urls import path

from . import views

urlpatterns = [
    path("deals/", views.deal_list, name="deal-list"),
    path("deals/new/", views.deal_create, name="deal-create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal-detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal-edit"),
    path("deals/<int:pk>/decide/", views.deal_decide, name="deal-decide"),
    path(
        "deals/conflicts/<int:pk>/close/",
        views.overlap_case_close,
        name="conflict-close-overlap",
    ),
    path("<slug:slug>/deals/new/", views.deal_create, name="partner-deal-create"),
]
