"""The KPI pages under /kpis/: each sub-domain's views, in one table."""

from django.urls import path

from .alerts import views as alerts_views
from .dashboards import views as dashboards_views
from .engine import views as engine_views
from .feedback import views as feedback_views
from .ingest import mapping_views
from .ingest import views as ingest_views
from .modeling import views as modeling_views
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
    path("imports/<int:pk>/remap/", ingest_views.import_remap, name="import-remap"),
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
    path("dashboard/compare/", dashboards_views.compare_view, name="compare"),
    path(
        "dashboard/channels/<slug:slug>/",
        dashboards_views.channel_dashboard_view,
        name="channel-dashboard",
    ),
    path("modeled-roi/", modeling_views.dashboard, name="model"),
    path("modeled-roi/fit/", modeling_views.fit_now, name="model-fit"),
    path("modeled-roi/model.csv", modeling_views.model_csv, name="model-csv"),
    path("modeled-roi/runs/", modeling_views.run_list, name="model-runs"),
    path("modeled-roi/runs/<int:pk>/", modeling_views.run_detail, name="model-run"),
    path("modeled-roi/costs/", modeling_views.costs, name="model-costs"),
    path("modeled-roi/events/", modeling_views.event_list, name="model-events"),
    path("modeled-roi/events/new/", modeling_views.event_create, name="model-event-create"),
    path("modeled-roi/events/<int:pk>/edit/", modeling_views.event_edit, name="model-event-edit"),
    path(
        "modeled-roi/events/<int:pk>/delete/",
        modeling_views.event_delete,
        name="model-event-delete",
    ),
    path("modeled-roi/lift-tests/", modeling_views.lift_test_list, name="lift-tests"),
    path("modeled-roi/lift-tests/new/", modeling_views.lift_test_create, name="lift-test-create"),
    path(
        "modeled-roi/lift-tests/<int:pk>/edit/",
        modeling_views.lift_test_edit,
        name="lift-test-edit",
    ),
    path(
        "modeled-roi/lift-tests/<int:pk>/delete/",
        modeling_views.lift_test_delete,
        name="lift-test-delete",
    ),
    path("modeled-roi/planner/", modeling_views.planner_page, name="planner"),
    path("modeled-roi/plans/", modeling_views.plan_list, name="plans"),
    path("modeled-roi/plans/<int:pk>/", modeling_views.plan_detail, name="plan-detail"),
    path("modeled-roi/plans/<int:pk>/plan.csv", modeling_views.plan_csv, name="plan-csv"),
    path("modeled-roi/plans/<int:pk>/delete/", modeling_views.plan_delete, name="plan-delete"),
    path("alerts/", alerts_views.alert_list, name="alerts"),
    path("alerts/new/", alerts_views.alert_create, name="alert-create"),
    path("alerts/<int:pk>/", alerts_views.alert_edit, name="alert-edit"),
    path("alerts/<int:pk>/delete/", alerts_views.alert_delete, name="alert-delete"),
    path(
        "alerts/unsubscribe/<str:token>/",
        alerts_views.alert_unsubscribe,
        name="alert-unsubscribe",
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
