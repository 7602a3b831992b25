"""Deal registrations, the price list and conflict cases, under /partners/.

Included by partners/urls.py ahead of the partner pages (whose slugs may not
be "deals", "conflicts" or "prices"), in the same "partners" namespace.
"""

from django.urls import path

from . import conflict_views, deal_views

urlpatterns = [
    path("deals/", deal_views.deal_list, name="deal-list"),
    path("deals/new/", deal_views.deal_create, name="deal-create"),
    path("deals/<int:pk>/", deal_views.deal_detail, name="deal-detail"),
    path("deals/<int:pk>/edit/", deal_views.deal_edit, name="deal-edit"),
    path("deals/<int:pk>/decide/", deal_views.deal_decide, name="deal-decide"),
    path("conflicts/", conflict_views.conflict_list, name="conflict-list"),
    path("conflicts/new/", conflict_views.conflict_create, name="conflict-create"),
    path("conflicts/dashboard/", conflict_views.conflict_dashboard, name="conflict-dashboard"),
    path("conflicts/<int:pk>/", conflict_views.conflict_detail, name="conflict-detail"),
    path("conflicts/<int:pk>/edit/", conflict_views.conflict_edit, name="conflict-edit"),
    path("conflicts/<int:pk>/notes/", conflict_views.conflict_note, name="conflict-note"),
    path("conflicts/<int:pk>/status/", conflict_views.conflict_status, name="conflict-status"),
    path("conflicts/<int:pk>/close/", conflict_views.conflict_close, name="conflict-close"),
    path("prices/", conflict_views.price_list, name="price-list"),
    path("prices/products/new/", conflict_views.product_create, name="product-create"),
    path("prices/products/<int:pk>/edit/", conflict_views.product_edit, name="product-edit"),
    path(
        "prices/observations/new/",
        conflict_views.observation_create,
        name="observation-create",
    ),
    path("prices/import/", conflict_views.price_import, name="price-import"),
    path("prices/import/template.csv", conflict_views.price_template, name="price-template"),
    path("<slug:slug>/deals/new/", deal_views.deal_create, name="partner-deal-create"),
    path(
        "<slug:slug>/prices/new/",
        conflict_views.observation_create,
        name="partner-observation-create",
    ),
]
