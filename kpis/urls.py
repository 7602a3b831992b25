"""The KPI pages under /kpis/: each sub-domain's views, in one table."""

from django.urls import path

from .dashboards import views as dashboards_views
from .engine import views as engine_views
from .feedback import views as feedback_views
from .ingest import mapping_views
from .ingest import views as ingest_views
from .packs import views as packs_views

app_name = "kpis"

urlpatterns = [
    path("import/", ingest_views.import_page, name="import"),
    path("import/template.csv", ingest_views.import_template, name="import-template"),
    path("import/template.xlsx", ingest_views.import_template_xlsx, name="import-template-xlsx"),
    path("imports/", ingest_views.import_list, name="imports"),
    path("imports/<int:pk>/", ingest_views.import_detail, name="import-detail"),
    path("imports/<int:pk>/undo/", ingest_views.import_undo, name="import-undo"),
    path("imports/<int:pk>/mapping/", mapping_views.import_mapping, name="import-mapping"),
    path("imports/sources/", mapping_views.source_list, name="sources"),
    path("imports/rates/", mapping_views.rates_page, name="rates"),
    path("imports/sources/<int:pk>/delete/", mapping_views.source_delete, name="source-delete"),
    path("runs/", engine_views.run_list, name="runs"),
    path("runs/new/", engine_views.run_create, name="run-create"),
    path("runs/<int:pk>/", engine_views.run_detail, name="run-detail"),
    path("export.csv", engine_views.export_csv, name="export"),
    path("feedback/", feedback_views.feedback_list, name="feedback"),
    path("feedback/new/", feedback_views.feedback_create, name="feedback-create"),
    path("feedback/import/", feedback_views.feedback_import, name="feedback-import"),
    path("feedback/template.csv", feedback_views.feedback_template, name="feedback-template"),
    path("dashboard/", dashboards_views.portfolio_view, name="portfolio"),
    path("dashboard/table.csv", dashboards_views.portfolio_table_csv, name="portfolio-csv"),
    path("dashboard/attention/", dashboards_views.attention_view, name="attention"),
    path(
        "dashboard/channels/<slug:slug>/",
        dashboards_views.channel_dashboard_view,
        name="channel-dashboard",
    ),
    path("packs/", packs_views.pack_list, name="packs"),
    path("packs/new/", packs_views.pack_create, name="pack-create"),
    path("packs/<int:pk>/", packs_views.pack_detail, name="pack-detail"),
    path("packs/<int:pk>/edit/", packs_views.pack_edit, name="pack-edit"),
    path("packs/<int:pk>/delete/", packs_views.pack_delete, name="pack-delete"),
    path("packs/<int:pk>/render/", packs_views.pack_render_now, name="pack-render-now"),
    path("packs/renders/<int:pk>/", packs_views.render_detail, name="pack-render"),
    path("packs/renders/<int:pk>/pack.html", packs_views.render_file, name="pack-file"),
    path("packs/renders/<int:pk>/kpis.csv", packs_views.render_csv, name="pack-csv"),
]
