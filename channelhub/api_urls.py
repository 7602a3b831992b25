"""URLs of the REST API, version 1 (included under /api/v1/ as namespace "api")."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from channels_app import api as channels_api
from kpis.dashboards import api as dashboards_api
from kpis.engine import api as engine_api
from kpis.ingest import api as ingest_api
from kpis.modeling import api as modeling_api
from partners.activity import api as activity_api
from partners.contracts import api as contracts_api
from partners.directory import api as directory_api

from . import api

app_name = "api"

router = SimpleRouter()
router.register("channels", channels_api.ChannelViewSet, basename="channel")
router.register("objectives", channels_api.ObjectiveViewSet, basename="objective")
router.register("partners", directory_api.PartnerViewSet, basename="partner")
router.register("contacts", directory_api.ContactViewSet, basename="contact")
router.register("contracts", contracts_api.ContractViewSet, basename="contract")
router.register("interactions", activity_api.InteractionViewSet, basename="interaction")
router.register("reviews", activity_api.ReviewViewSet, basename="review")
router.register("import-runs", ingest_api.ImportRunViewSet, basename="import-run")
router.register("recompute-runs", engine_api.RecomputeRunViewSet, basename="recompute-run")
router.register("model-runs", modeling_api.ModelRunViewSet, basename="model-run")
router.register("lift-tests", modeling_api.LiftTestViewSet, basename="lift-test")
router.register("budget-plans", modeling_api.BudgetPlanViewSet, basename="budget-plan")
router.register("tokens", api.TokenViewSet, basename="token")

urlpatterns = [
    path("", api.ApiRootView.as_view(), name="root"),
    path("kpis/snapshots/", engine_api.KpiSnapshotListView.as_view(), name="kpi-snapshot-list"),
    path("kpis/export/", engine_api.KpiExportView.as_view(), name="kpi-export"),
    path("kpis/changes/", dashboards_api.KpiChangesView.as_view(), name="kpi-changes"),
    path("facts/", ingest_api.FactsPushView.as_view(), name="facts-push"),
    path("model/results/", modeling_api.ModelResultsView.as_view(), name="model-results"),
    path("model/curves/", modeling_api.ModelCurvesView.as_view(), name="model-curves"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view: Swagger UI's setup lives in a static script, not inline,
    # and its assets come from drf-spectacular-sidecar (our static files).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
    # Anything else under the API is a JSON 404, never the HTML page.
    re_path(r"^.*$", api.not_found),
]
