from django.urls import path

from . import pack_views, views

app_name = "kpis"

urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/template.csv", views.import_template, name="import-template"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/undo/", views.import_undo, name="import-undo"),
    path("runs/", views.run_list, name="runs"),
    path("runs/new/", views.run_create, name="run-create"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("export.csv", views.export_csv, name="export"),
    path("feedback/", views.feedback_list, name="feedback"),
    path("feedback/new/", views.feedback_create, name="feedback-create"),
    path("feedback/import/", views.feedback_import, name="feedback-import"),
    path("feedback/template.csv", views.feedback_template, name="feedback-template"),
    path("dashboard/", views.portfolio_view, name="portfolio"),
    path("dashboard/table.csv", views.portfolio_table_csv, name="portfolio-csv"),
    path("dashboard/attention/", views.attention_view, name="attention"),
    path("dashboard/channels/<slug:slug>/", views.channel_dashboard_view, name="channel-dashboard"),
    path("packs/", pack_views.pack_list, name="packs"),
    path("packs/new/", pack_views.pack_create, name="pack-create"),
    path("packs/<int:pk>/", pack_views.pack_detail, name="pack-detail"),
    path("packs/<int:pk>/edit/", pack_views.pack_edit, name="pack-edit"),
    path("packs/<int:pk>/delete/", pack_views.pack_delete, name="pack-delete"),
    path("packs/<int:pk>/render/", pack_views.pack_render_now, name="pack-render-now"),
    path("packs/renders/<int:pk>/", pack_views.render_detail, name="pack-render"),
    path("packs/renders/<int:pk>/pack.html", pack_views.render_file, name="pack-file"),
    path("packs/renders/<int:pk>/kpis.csv", pack_views.render_csv, name="pack-csv"),
]
