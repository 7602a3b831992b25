"""Forms of the partner pages. They parse and check input; services write."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from channelhub.lib.roles import MARKETING_MANAGER, PARTNER_MANAGER
from channels_app.models import Channel

from .documents import ACCEPTED, check_document, max_document_bytes
from .models import (
    ComplianceAttestation,
    Contract,
    Interaction,
    Partner,
    PartnerContact,
    PartnerReview,
    TrainingModule,
)
from .models.activity import REVIEW_CRITERIA
from .services import normalise_region_codes, unique_partner_slug

User = get_user_model()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class RegionCodesField(forms.CharField):
    """Region codes typed as "DE, AT, CH": cleaned to ['AT', 'CH', 'DE']."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", "Region codes separated by commas, e.g. DE, AT, CH or US-CA."
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        parts = text.replace(";", ",").replace(" ", ",").split(",")
        try:
            return normalise_region_codes(parts)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


class PartnerForm(forms.ModelForm):
    territories = RegionCodesField()

    website = forms.URLField(required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Partner
        fields = [
            "name",
            "slug",
            "channel",
            "kind",
            "tier",
            "status",
            "manager",
            "territories",
            "website",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "slug": "Used in imports and links. Leave empty to make one from the name.",
            "website": "https://…",
        }

    def __init__(self, *args: Any, can_assign_manager: bool, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        channel = cast(forms.ModelChoiceField, self.fields["channel"])
        channel.queryset = Channel.objects.filter(route=Channel.Route.INDIRECT).order_by("name")
        channel.help_text = "Partners sell through indirect channels."
        manager = cast(forms.ModelChoiceField, self.fields["manager"])
        managers = User.objects.filter(is_active=True).filter(
            Q(groups__name__in=[PARTNER_MANAGER, MARKETING_MANAGER]) | Q(is_superuser=True)
        )
        if not can_assign_manager:
            # A partner manager owns what they register; only the programme
            # leads hand partners to someone else.
            managers = managers.filter(pk=user.pk)
            manager.required = True
            manager.empty_label = None
        manager.queryset = managers.distinct().order_by("username")
        if self.instance.pk:
            # Status moves through its own form, so each change is dated and kept.
            del self.fields["status"]
            if not self.is_bound:
                self.initial["territories"] = [t.code for t in self.instance.territories.all()]
        else:
            status = cast(forms.ChoiceField, self.fields["status"])
            status.choices = [
                (s, label)
                for s, label in Partner.Status.choices
                if s in (Partner.Status.PROSPECT, Partner.Status.ONBOARDING, Partner.Status.ACTIVE)
            ]

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug") or ""
        if not slug and self.cleaned_data.get("name"):
            slug = unique_partner_slug(self.cleaned_data["name"], exclude_pk=self.instance.pk)
        return slug


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Partner.Status.choices)
    changed_on = forms.DateField(label="Since", widget=DateInput(), required=False)
    note = forms.CharField(max_length=300, required=False, label="Why")

    def __init__(self, *args: Any, allowed: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = cast(forms.ChoiceField, self.fields["status"])
        status.choices = [(s, label) for s, label in Partner.Status.choices if s in allowed]
        self.fields["changed_on"].help_text = "Empty: today."

    def clean_changed_on(self) -> date:
        value = self.cleaned_data.get("changed_on") or timezone.localdate()
        if value > timezone.localdate():
            raise forms.ValidationError("A status change cannot be dated in the future.")
        return value


class ContactForm(forms.ModelForm):
    class Meta:
        model = PartnerContact
        fields = ["name", "role", "email", "phone", "is_primary"]


class OnboardingStepForm(forms.Form):
    title = forms.CharField(max_length=120, label="New step")


def _contacts_field(field: forms.Field, partner: Partner) -> None:
    choice = cast(forms.ModelChoiceField, field)
    choice.queryset = PartnerContact.objects.filter(partner=partner).order_by("name")
    choice.label_from_instance = lambda c: f"{c.name} ({c.role})" if c.role else c.name  # type: ignore[method-assign,assignment]


class TrainingCompletionForm(forms.Form):
    contact = forms.ModelChoiceField(queryset=PartnerContact.objects.none(), label="Person")
    module = forms.ModelChoiceField(
        queryset=TrainingModule.objects.filter(is_active=True), label="Training module"
    )
    completed_on = forms.DateField(widget=DateInput(), label="Completed on")
    score = forms.IntegerField(min_value=0, max_value=100, required=False, help_text="0-100")

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _contacts_field(self.fields["contact"], partner)

    def clean_completed_on(self) -> date:
        value = self.cleaned_data["completed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("A completion cannot be in the future.")
        return value


class CertificationForm(forms.Form):
    contact = forms.ModelChoiceField(queryset=PartnerContact.objects.none(), label="Person")
    name = forms.CharField(max_length=120, label="Certification")
    issued_on = forms.DateField(widget=DateInput())
    expires_on = forms.DateField(widget=DateInput(), required=False, help_text="Empty: never.")

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _contacts_field(self.fields["contact"], partner)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and expires and expires <= issued:
            self.add_error("expires_on", "A certification must expire after it is issued.")
        return data


class ContractForm(forms.ModelForm):
    exclusive_territories = RegionCodesField(
        label="Exclusive territories",
        help_text="Region codes where this partner has exclusivity, e.g. DE, AT. Empty: none.",
    )
    document = forms.FileField(
        required=False,
        label="Signed document",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.docx"}),
    )

    class Meta:
        model = Contract
        fields = [
            "kind",
            "reference",
            "start_on",
            "end_on",
            "auto_renew",
            "notice_days",
            "discount_pct",
            "margin_pct",
            "exclusive_territories",
            "signed_on",
            "document",
            "notes",
        ]
        widgets = {
            "start_on": DateInput(),
            "end_on": DateInput(),
            "signed_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = (
            f"{ACCEPTED} up to {max_document_bytes() // 1_048_576} MB."
            + (" Choosing a file replaces the current one." if self.instance.document else "")
        )
        if self.instance.pk and not self.is_bound:
            self.initial["exclusive_territories"] = [
                t.code for t in self.instance.exclusive_territories.all()
            ]

    def clean_document(self) -> Any:
        upload = self.cleaned_data.get("document")
        # An unchanged field hands back the stored file: nothing to check.
        if not upload or not hasattr(upload, "content_type"):
            return None
        try:
            check_document(upload)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", "The end date must be on or after the start date.")
        for field in ("discount_pct", "margin_pct"):
            value = data.get(field)
            if value is not None and not 0 <= value <= 100:
                self.add_error(field, "Enter a percentage between 0 and 100.")
        return data

    def _post_clean(self) -> None:
        # The service validates the model (its errors come back next to their
        # fields); skipping the ModelForm's own pass keeps the upload off the
        # instance until it has been checked.
        pass


class AttestationForm(forms.ModelForm):
    class Meta:
        model = ComplianceAttestation
        fields = ["kind", "attested_on", "expires_on", "attested_by", "note"]
        widgets = {"attested_on": DateInput(), "expires_on": DateInput()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        made, expires = data.get("attested_on"), data.get("expires_on")
        if made and expires and expires <= made:
            self.add_error("expires_on", "An attestation must expire after it is made.")
        return data


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = [
            "kind",
            "occurred_on",
            "contacts",
            "participants",
            "summary",
            "outcome",
            "next_step",
            "follow_up_on",
        ]
        widgets = {
            "occurred_on": DateInput(),
            "follow_up_on": DateInput(),
            "contacts": forms.SelectMultiple(attrs={"size": 4}),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _contacts_field(self.fields["contacts"], partner)
        self.fields["contacts"].help_text = "Ctrl-click (⌘-click) to choose several."
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("occurred_on", timezone.localdate())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        occurred = data.get("occurred_on")
        if occurred and occurred > timezone.localdate():
            self.add_error("occurred_on", "Log interactions that happened, not planned ones.")
        # The follow-up rules are the model's (clean), shown next to their fields.
        return data


SCORE_CHOICES = [
    ("", "—"),
    (1, "1 · poor"),
    (2, "2 · below expectations"),
    (3, "3 · meets expectations"),
    (4, "4 · above expectations"),
    (5, "5 · excellent"),
]


class ReviewForm(forms.ModelForm):
    class Meta:
        model = PartnerReview
        fields = [
            "period_start",
            "period_end",
            "reviewed_on",
            *(name for name, _label in REVIEW_CRITERIA),
            "strengths",
            "improvements",
            "next_review_on",
        ]
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "reviewed_on": DateInput(),
            "next_review_on": DateInput(),
            "strengths": forms.Textarea(attrs={"rows": 3}),
            "improvements": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, default_cadence_days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in REVIEW_CRITERIA:
            self.fields[name] = forms.TypedChoiceField(
                label=label, choices=SCORE_CHOICES, coerce=int, help_text=""
            )
        next_review = self.fields["next_review_on"]
        next_review.required = False
        next_review.help_text = (
            f"Empty: {default_cadence_days} days after this review (the tier's cadence)."
        )
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("reviewed_on", timezone.localdate())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The period must end on or after it starts.")
        reviewed, following = data.get("reviewed_on"), data.get("next_review_on")
        if reviewed and reviewed > timezone.localdate():
            self.add_error("reviewed_on", "Log reviews that took place, not planned ones.")
        if reviewed and following and following <= reviewed:
            self.add_error("next_review_on", "The next review must be after this one.")
        return data

    def _post_clean(self) -> None:
        # The overall score is computed by the service, which validates the model.
        pass


class ActionItemForm(forms.Form):
    description = forms.CharField(max_length=300, required=False, label="Action")
    owner = forms.CharField(max_length=120, required=False)
    due_on = forms.DateField(widget=DateInput(), required=False, label="Due")
    done_on = forms.DateField(widget=DateInput(), required=False, label="Done")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = [data.get(f) for f in ("description", "owner", "due_on")]
        if any(filled) and not all(filled):
            for field in ("description", "owner", "due_on"):
                if not data.get(field) and field not in self.errors:
                    self.add_error(field, "Needed for an action item.")
        return data


ActionItemFormSet = forms.formset_factory(ActionItemForm, extra=3, max_num=30, validate_max=True)


def action_items_of(formset: Any) -> list[dict[str, Any]]:
    """The filled rows of a valid action item formset."""
    return [f.cleaned_data for f in formset.forms if f.cleaned_data.get("description")]
