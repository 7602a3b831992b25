"""Conflict cases and the price list, under /partners/ (included ahead of the
partner pages, whose slugs may not be "conflicts" or "prices")."""

from django.urls import path

from . import views

urlpatterns = [
    path("conflicts/", views.conflict_list, name="conflict-list"),
    path("conflicts/new/", views.conflict_create, name="conflict-create"),
    path("conflicts/dashboard/", views.conflict_dashboard, name="conflict-dashboard"),
    path("conflicts/<int:pk>/", views.conflict_detail, name="conflict-detail"),
    path("conflicts/<int:pk>/edit/", views.conflict_edit, name="conflict-edit"),
    path("conflicts/<int:pk>/notes/", views.conflict_note, name="conflict-note"),
    path("conflicts/<int:pk>/status/", views.conflict_status, name="conflict-status"),
    path("conflicts/<int:pk>/close/", views.conflict_close, name="conflict-close"),
    path("prices/", views.price_list, name="price-list"),
    path("prices/products/new/", views.product_create, name="product-create"),
    path("prices/products/<int:pk>/edit/", views.product_edit, name="product-edit"),
    path(
        "prices/observations/new/",
        views.observation_create,
        name="observation-create",
    ),
    path("prices/import/", views.price_import, name="price-import"),
    path("prices/import/template.csv", views.price_template, name="price-template"),
    path(
        "<slug:slug>/prices/new/",
        views.observation_create,
        name="partner-observation-create",
    ),
]
