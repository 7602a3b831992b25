from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from partners.access.models import (
    ContractAcknowledgement,
    PortalAccount,
    PortalInvitation,
    PortalMessage,
)
from partners.activity.models import Interaction, PartnerReview, ReviewActionItem, ReviewRevision
from partners.attention.models import PartnerFlag, ReminderLog
from partners.conflicts.models import ConflictCase, ConflictNote, PriceObservation, Product
from partners.contracts.models import ComplianceAttestation, Contract
from partners.deals.models import DealRegistration
from partners.directory.models import (
    OnboardingStep,
    OnboardingTemplate,
    OnboardingTemplateStep,
    Partner,
    PartnerContact,
    PartnerStatusChange,
    Territory,
    Tier,
)
from partners.enablement.models import Certification, TrainingCompletion, TrainingModule
from partners.incentives.models import (
    IncentivePayout,
    IncentiveProgram,
    MdfClaim,
    ProgramEnrollment,
    RebateBracket,
)
from partners.tiering.models import TierProposal


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "rank",
        "review_cadence_days",
        "min_revenue",
        "revenue_window_days",
        "min_certified_people",
        "min_review_score",
    )
    list_editable = ("rank", "review_cadence_days")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class ContactInline(admin.TabularInline):
    model = PartnerContact
    extra = 0
    fields = ("name", "role", "email", "phone", "is_primary", "is_active")


class StatusChangeInline(admin.TabularInline):
    model = PartnerStatusChange
    extra = 0
    fields = ("changed_on", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # history is written by the status service only


class OnboardingStepInline(admin.TabularInline):
    model = OnboardingStep
    extra = 0
    fields = ("position", "title", "done_on", "done_by")
    autocomplete_fields = ("done_by",)


@admin.register(Partner)
class PartnerAdmin(SimpleHistoryAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "name",
        "slug",
        "channel",
        "kind",
        "tier",
        "status",
        "status_since",
        "manager",
        "next_review_on",
    )
    list_filter = ("status", "kind", "tier", "channel", "manager", "territories")
    search_fields = ("name", "slug", "website", "contacts__name", "contacts__email")
    list_select_related = ("channel", "manager", "tier")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("channel", "manager")
    filter_horizontal = ("territories",)
    readonly_fields = ("status_since", "next_review_on", "created_at", "updated_at")
    date_hierarchy = "created_at"
    inlines = [ContactInline, OnboardingStepInline, StatusChangeInline]


@admin.register(PartnerStatusChange)
class PartnerStatusChangeAdmin(admin.ModelAdmin):
    list_display = ("partner", "from_status", "to_status", "changed_on", "changed_by")
    list_filter = ("to_status", "from_status")
    search_fields = ("partner__name", "note")
    list_select_related = ("partner", "changed_by")
    date_hierarchy = "changed_on"


@admin.register(PartnerContact)
class PartnerContactAdmin(admin.ModelAdmin):
    list_display = ("name", "partner", "role", "email", "phone", "is_primary")
    list_filter = ("is_primary",)
    search_fields = ("name", "email", "phone", "role", "partner__name")
    list_select_related = ("partner",)
    autocomplete_fields = ("partner",)


class TemplateStepInline(admin.TabularInline):
    model = OnboardingTemplateStep
    extra = 1
    fields = ("position", "title", "description")


@admin.register(OnboardingTemplate)
class OnboardingTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    search_fields = ("name",)
    inlines = [TemplateStepInline]


@admin.register(OnboardingStep)
class OnboardingStepAdmin(admin.ModelAdmin):
    list_display = ("title", "partner", "position", "done_on", "done_by")
    list_filter = (("done_on", admin.EmptyFieldListFilter),)
    search_fields = ("title", "partner__name")
    list_select_related = ("partner", "done_by")
    autocomplete_fields = ("partner",)


@admin.register(TrainingModule)
class TrainingModuleAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "duration_hours", "certification_valid_days", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "description")
    prepopulated_fields = {"code": ("name",)}


@admin.register(TrainingCompletion)
class TrainingCompletionAdmin(SimpleHistoryAdmin):
    list_display = ("contact", "module", "completed_on", "score")
    list_filter = ("module",)
    search_fields = ("contact__name", "contact__partner__name", "module__name")
    list_select_related = ("contact", "module")
    autocomplete_fields = ("contact",)
    date_hierarchy = "completed_on"


@admin.register(Certification)
class CertificationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "contact", "issued_on", "expires_on")
    list_filter = ("module",)
    search_fields = ("name", "contact__name", "contact__partner__name")
    list_select_related = ("contact",)
    autocomplete_fields = ("contact",)
    date_hierarchy = "expires_on"


class AttestationInline(admin.TabularInline):
    model = ComplianceAttestation
    extra = 0
    fields = ("kind", "attested_on", "expires_on", "attested_by", "note")


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    list_display = (
        "partner",
        "kind",
        "reference",
        "start_on",
        "end_on",
        "auto_renew",
        "notice_days",
        "discount_pct",
        "margin_pct",
    )
    list_filter = ("kind", "auto_renew")
    search_fields = ("partner__name", "reference", "notes")
    list_select_related = ("partner",)
    autocomplete_fields = ("partner",)
    filter_horizontal = ("exclusive_territories",)
    # The document is uploaded through the partner pages, where its type and
    # size are checked; here it is only shown.
    readonly_fields = ("document", "document_name", "document_type", "document_size")
    date_hierarchy = "end_on"
    inlines = [AttestationInline]


@admin.register(ComplianceAttestation)
class ComplianceAttestationAdmin(admin.ModelAdmin):
    list_display = ("contract", "kind", "attested_on", "expires_on", "attested_by")
    list_filter = ("kind",)
    search_fields = ("contract__partner__name", "attested_by", "note")
    list_select_related = ("contract", "contract__partner")


@admin.register(Interaction)
class InteractionAdmin(SimpleHistoryAdmin):
    list_display = (
        "partner",
        "kind",
        "occurred_on",
        "logged_by",
        "follow_up_on",
        "follow_up_done_on",
    )
    list_filter = ("kind", ("follow_up_done_on", admin.EmptyFieldListFilter))
    search_fields = ("partner__name", "summary", "outcome", "next_step")
    list_select_related = ("partner", "logged_by")
    autocomplete_fields = ("partner",)
    date_hierarchy = "occurred_on"


class ActionItemInline(admin.TabularInline):
    model = ReviewActionItem
    extra = 0
    fields = ("description", "owner", "due_on", "done_on")


class RevisionInline(admin.TabularInline):
    model = ReviewRevision
    extra = 0
    fields = ("number", "edited_by", "edited_at", "data")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PartnerReview)
class PartnerReviewAdmin(SimpleHistoryAdmin):
    list_display = (
        "partner",
        "period_start",
        "period_end",
        "reviewed_on",
        "overall",
        "author",
        "next_review_on",
    )
    list_filter = ("author",)
    search_fields = ("partner__name", "strengths", "improvements")
    list_select_related = ("partner", "author")
    autocomplete_fields = ("partner",)
    readonly_fields = ("overall",)
    date_hierarchy = "reviewed_on"
    inlines = [ActionItemInline, RevisionInline]

    def has_add_permission(self, request):
        return False  # reviews are logged on the partner page, which computes them

    def save_model(self, request, obj, form, change):
        # Edits here keep the computed overall score and the edit history.
        from partners.activity.services import review_update

        review_update(review=obj, editor=request.user, data={})


@admin.register(ReviewActionItem)
class ReviewActionItemAdmin(SimpleHistoryAdmin):
    list_display = ("description", "owner", "due_on", "done_on", "review")
    list_filter = (("done_on", admin.EmptyFieldListFilter),)
    search_fields = ("description", "owner", "review__partner__name")
    list_select_related = ("review", "review__partner")


@admin.register(PartnerFlag)
class PartnerFlagAdmin(admin.ModelAdmin):
    list_display = ("partner", "kind", "message", "due_on", "raised_on")
    list_filter = ("kind",)
    search_fields = ("partner__name", "message")
    list_select_related = ("partner",)


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = ("recipient", "sent_on", "item_count")
    list_select_related = ("recipient",)
    date_hierarchy = "sent_on"


@admin.register(OnboardingTemplateStep)
class OnboardingTemplateStepAdmin(admin.ModelAdmin):
    list_display = ("title", "template", "position")
    list_filter = ("template",)
    search_fields = ("title", "description", "template__name")
    list_select_related = ("template",)


@admin.register(ReviewRevision)
class ReviewRevisionAdmin(admin.ModelAdmin):
    list_display = ("review", "number", "edited_by", "edited_at")
    search_fields = ("review__partner__name",)
    list_select_related = ("review", "review__partner", "edited_by")
    readonly_fields = ("review", "number", "edited_by", "edited_at", "data")
    date_hierarchy = "edited_at"

    def has_add_permission(self, request):
        return False  # the history is written by the review services only

    def has_change_permission(self, request, obj=None):
        return False


class RebateBracketInline(admin.TabularInline):
    model = RebateBracket
    extra = 0


@admin.register(IncentiveProgram)
class IncentiveProgramAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "channel", "tier", "accrual_period", "start_date", "end_date")
    list_filter = ("kind", "accrual_period", "channel", "tier")
    search_fields = ("name", "description")
    list_select_related = ("channel", "tier")
    inlines = [RebateBracketInline]


@admin.register(RebateBracket)
class RebateBracketAdmin(admin.ModelAdmin):
    list_display = ("program", "from_revenue", "rate")
    search_fields = ("program__name",)
    list_select_related = ("program",)


@admin.register(ProgramEnrollment)
class ProgramEnrollmentAdmin(admin.ModelAdmin):
    list_display = ("program", "partner", "start_date", "end_date")
    list_filter = ("program",)
    search_fields = ("program__name", "partner__name")
    list_select_related = ("program", "partner")


@admin.register(MdfClaim)
class MdfClaimAdmin(SimpleHistoryAdmin):
    list_display = ("program", "partner", "activity_date", "amount", "status", "decided_by")
    list_filter = ("status", "program")
    search_fields = ("partner__name", "description")
    list_select_related = ("program", "partner", "decided_by")
    date_hierarchy = "activity_date"
    # Proof is uploaded through the portal's content checks only.
    readonly_fields = ("proof", "proof_name", "proof_type")


@admin.register(IncentivePayout)
class IncentivePayoutAdmin(admin.ModelAdmin):
    list_display = (
        "program",
        "partner",
        "period_start",
        "period_end",
        "amount",
        "paid_on",
        "reference",
    )
    list_filter = ("program",)
    search_fields = ("partner__name", "reference")
    list_select_related = ("program", "partner")
    date_hierarchy = "paid_on"


# --- deal registrations, pricing and conflicts -------------------------------------


@admin.register(DealRegistration)
class DealRegistrationAdmin(SimpleHistoryAdmin):
    list_display = (
        "customer_name",
        "partner",
        "country",
        "estimated_value",
        "status",
        "submitted_on",
        "expires_on",
    )
    list_filter = ("status", "country")
    search_fields = ("customer_name", "customer_domain", "domain_key", "partner__name")
    list_select_related = ("partner",)
    autocomplete_fields = ("partner",)
    readonly_fields = ("domain_key", "name_key", "created_at", "updated_at")
    date_hierarchy = "submitted_on"


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "list_price", "map_price", "is_active")
    list_filter = ("is_active",)
    search_fields = ("sku", "name")


@admin.register(PriceObservation)
class PriceObservationAdmin(admin.ModelAdmin):
    list_display = ("observed_on", "partner", "product", "price", "where_seen", "source")
    list_filter = ("source",)
    search_fields = ("partner__name", "product__sku", "where_seen")
    list_select_related = ("partner", "product")
    autocomplete_fields = ("partner", "product")
    readonly_fields = ("conflict_case", "created_at")
    date_hierarchy = "observed_on"


class ConflictNoteInline(admin.TabularInline):
    model = ConflictNote
    extra = 0
    fields = ("created_at", "kind", "author", "body")
    readonly_fields = ("created_at",)


@admin.register(ConflictCase)
class ConflictCaseAdmin(SimpleHistoryAdmin):
    list_display = ("title", "kind", "severity", "status", "owner", "source", "opened_at")
    list_filter = ("status", "kind", "severity", "source")
    search_fields = ("title", "description", "fingerprint", "partners__name")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner", "partners", "channels")
    readonly_fields = ("fingerprint", "source", "created_at", "updated_at")
    filter_horizontal = ("deals", "contracts")
    date_hierarchy = "opened_at"
    inlines = [ConflictNoteInline]


@admin.register(ConflictNote)
class ConflictNoteAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "author", "created_at")
    list_filter = ("kind",)
    search_fields = ("body", "case__title")
    list_select_related = ("case", "author")


# --- the partner portal: accounts are made by accepting an invitation, never here -----


@admin.register(PortalAccount)
class PortalAccountAdmin(admin.ModelAdmin):
    list_display = ("contact", "partner", "user", "created_at")
    list_select_related = ("contact", "partner", "user")
    search_fields = ("contact__name", "partner__name", "user__username")
    readonly_fields = ("user", "partner", "contact", "invited_by", "created_at")

    def has_add_permission(self, request, obj=None):
        return False  # only an accepted invitation makes a partner user


@admin.register(PortalInvitation)
class PortalInvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "contact", "created_at", "expires_at", "used_at", "revoked_at")
    list_select_related = ("contact",)
    search_fields = ("email", "contact__name")
    # The token hash is never shown; an invitation is revoked by sending a new one.
    exclude = ("token_hash",)
    readonly_fields = ("contact", "email", "invited_by", "created_at", "used_at")

    def has_add_permission(self, request, obj=None):
        return False  # sent from the partner page (it emails the link)


@admin.register(PortalMessage)
class PortalMessageAdmin(SimpleHistoryAdmin):
    list_display = ("partner", "direction", "sender", "created_at")
    list_select_related = ("partner", "sender")
    list_filter = ("direction",)
    search_fields = ("partner__name", "body")
    readonly_fields = ("partner", "direction", "sender", "body", "interaction", "created_at")


@admin.register(ContractAcknowledgement)
class ContractAcknowledgementAdmin(SimpleHistoryAdmin):
    list_display = ("contract", "name", "acknowledged_at")
    list_select_related = ("contract", "contract__partner")
    search_fields = ("name", "contract__partner__name", "contract__reference")
    readonly_fields = ("contract", "user", "name", "terms_as_of", "acknowledged_at")

    def has_add_permission(self, request, obj=None):
        return False  # a partner user acknowledges in the portal


@admin.register(TierProposal)
class TierProposalAdmin(SimpleHistoryAdmin):
    """Made by the daily tier rules; decided on the Tier proposals page."""

    list_display = ("partner", "kind", "from_tier", "to_tier", "status", "evaluated_on")
    list_filter = ("status", "kind")
    readonly_fields = ("partner", "kind", "from_tier", "to_tier", "reasons", "evaluated_on")
