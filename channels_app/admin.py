from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from channels_app.audits.models import BrandAudit, BrandAuditItem
from channels_app.channels.models import Channel, ChannelObjective
from channels_app.library.models import LibraryItem, LibraryVersion


class ObjectiveInline(admin.TabularInline):
    model = ChannelObjective
    extra = 0
    fields = ("metric", "direction", "target", "start_date", "end_date", "description")


@admin.register(Channel)
class ChannelAdmin(SimpleHistoryAdmin):
    list_display = ("name", "slug", "kind", "route", "reach", "status", "owner", "start_date")
    list_filter = ("status", "kind", "route", "reach", "owner")
    search_fields = ("name", "slug", "target_segment", "value_proposition")
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("owner",)
    date_hierarchy = "start_date"
    inlines = [ObjectiveInline]


@admin.register(ChannelObjective)
class ChannelObjectiveAdmin(SimpleHistoryAdmin):
    list_display = ("channel", "metric", "direction", "target", "start_date", "end_date")
    list_filter = ("metric", "direction", "channel__kind")
    search_fields = ("channel__name", "channel__slug", "description")
    list_select_related = ("channel",)
    autocomplete_fields = ("channel",)
    date_hierarchy = "end_date"


class BrandAuditItemInline(admin.TabularInline):
    model = BrandAuditItem
    extra = 0
    fields = ("item", "score", "notes")


@admin.register(BrandAudit)
class BrandAuditAdmin(admin.ModelAdmin):
    list_display = ("channel", "audited_on", "overall", "auditor", "next_audit_on")
    list_filter = ("channel",)
    search_fields = ("channel__name", "summary")
    list_select_related = ("channel", "auditor")
    autocomplete_fields = ("channel",)
    readonly_fields = ("overall", "created_at", "updated_at")
    date_hierarchy = "audited_on"
    inlines = [BrandAuditItemInline]

    def has_add_permission(self, request, obj=None):
        return False  # audits score the whole checklist: record them on the channel's page

    def save_related(self, request, form, formsets, change):
        # Item scores edited here keep the overall score their mean.
        super().save_related(request, form, formsets, change)
        from channels_app.audits.services import audit_update

        audit_update(audit=form.instance, data={})


class LibraryVersionInline(admin.TabularInline):
    model = LibraryVersion
    extra = 0
    fields = ("number", "file_name", "file_type", "file_size", "published_on", "note")
    readonly_fields = fields
    can_delete = False


@admin.register(LibraryItem)
class LibraryItemAdmin(SimpleHistoryAdmin):
    """Published and replaced on the library pages (the file check runs there)."""

    list_display = ("title", "channel", "kind", "current", "withdrawn_at")
    list_filter = ("kind", "channel")
    search_fields = ("title",)
    readonly_fields = ("current", "published_by", "withdrawn_at", "withdrawn_by")
    inlines = [LibraryVersionInline]
