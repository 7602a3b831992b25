"""KPI jobs and data in the admin. Daily facts and KPI snapshots have
composite primary keys, which Django's admin does not support: they are read
through the import history, the KPI pages, the API and the export instead."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    BudgetPlan,
    ChannelDataState,
    CustomerFeedback,
    DashboardRender,
    DashboardState,
    ImportRun,
    IncentiveAccrual,
    LiftTest,
    ModelEvent,
    ModelRun,
    ObjectiveStatus,
    PackRender,
    RecomputeBatch,
    RecomputeRun,
    ReviewPack,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by jobs: visible, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "original_name",
        "status",
        "source",
        "created_by",
        "created_at",
        "rows_total",
        "rows_added",
        "rows_replaced",
        "bad_rows",
    )
    list_filter = ("status", "source")
    search_fields = ("original_name", "created_by__username", "message")
    date_hierarchy = "created_at"
    list_select_related = ("created_by",)


class BatchInline(admin.TabularInline):
    model = RecomputeBatch
    extra = 0
    fields = ("index", "status", "rows", "finished_at")
    readonly_fields = fields
    can_delete = False


@admin.register(RecomputeRun)
class RecomputeRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "status",
        "trigger",
        "scope_label",
        "created_at",
        "started_at",
        "finished_at",
        "attempts",
    )
    list_filter = ("status", "trigger")
    search_fields = ("error",)
    date_hierarchy = "created_at"
    inlines = [BatchInline]


@admin.register(ChannelDataState)
class ChannelDataStateAdmin(ReadOnlyAdmin):
    list_display = (
        "channel",
        "last_fact_day",
        "facts_version",
        "published_version",
        "published_at",
    )
    search_fields = ("channel__name", "channel__slug")
    list_select_related = ("channel",)


@admin.register(ObjectiveStatus)
class ObjectiveStatusAdmin(ReadOnlyAdmin):
    list_display = (
        "objective",
        "status",
        "actual",
        "projected",
        "progress",
        "as_of",
        "evaluated_at",
    )
    list_filter = ("status",)
    search_fields = ("objective__channel__name",)
    list_select_related = ("objective__channel",)


@admin.register(CustomerFeedback)
class CustomerFeedbackAdmin(admin.ModelAdmin):
    list_display = ("day", "channel", "partner", "score", "rating", "source", "comment")
    list_filter = ("channel", "source")
    search_fields = ("comment", "channel__name", "partner__name")
    list_select_related = ("channel", "partner")
    date_hierarchy = "day"
    readonly_fields = ("fingerprint", "import_run")


@admin.register(IncentiveAccrual)
class IncentiveAccrualAdmin(ReadOnlyAdmin):
    list_display = (
        "program",
        "partner",
        "period_start",
        "period_end",
        "accrued_on",
        "amount",
        "provisional",
    )
    list_filter = ("provisional", "program")
    search_fields = ("partner__name", "program__name")
    list_select_related = ("program", "partner")
    date_hierarchy = "accrued_on"


@admin.register(DashboardState)
class DashboardStateAdmin(ReadOnlyAdmin):
    list_display = ("id", "generation", "last_run", "landed_at")


@admin.register(DashboardRender)
class DashboardRenderAdmin(ReadOnlyAdmin):
    """Stored default dashboard views; deleting one only makes the next page
    view compute (and store) it again."""

    list_display = ("key", "generation", "run_id", "rendered_at", "render_ms")
    search_fields = ("key",)
    exclude = ("payload",)


class PackRenderInline(admin.TabularInline):
    model = PackRender
    fields = ("slot", "is_preview", "status", "rendered_at", "data_run_number", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReviewPack)
class ReviewPackAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "cadence", "period_kind", "periods", "channel_selection")
    list_filter = ("is_active", "cadence", "period_kind", "channel_selection")
    search_fields = ("name", "description")
    filter_horizontal = ("channels", "subscribers")
    inlines = [PackRenderInline]


@admin.register(PackRender)
class PackRenderAdmin(ReadOnlyAdmin):
    list_display = ("pack", "slot", "is_preview", "status", "rendered_at", "data_run_number")
    list_filter = ("status", "is_preview", "pack")
    search_fields = ("pack__name", "slot")
    list_select_related = ("pack",)


@admin.register(ModelRun)
class ModelRunAdmin(ReadOnlyAdmin):
    """Model fits (Incremental ROI); the weekly schedule is under Periodic tasks."""

    list_display = ("id", "status", "trigger", "data_start", "data_end", "created_at",
                    "finished_at", "fit_seconds", "attempts")  # fmt: skip
    list_filter = ("status", "trigger")
    search_fields = ("reason", "error")
    date_hierarchy = "created_at"


@admin.register(ModelEvent)
class ModelEventAdmin(admin.ModelAdmin):
    list_display = ("name", "start", "end", "created_by")
    search_fields = ("name",)


@admin.register(LiftTest)
class LiftTestAdmin(admin.ModelAdmin):
    list_display = ("channel", "name", "start", "end", "delta_cost", "delta_revenue", "sigma")
    list_filter = ("channel",)


@admin.register(BudgetPlan)
class BudgetPlanAdmin(ReadOnlyAdmin):
    list_display = ("name", "mode", "goal", "period_start", "period_end", "created_by")
