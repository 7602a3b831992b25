"""Forms of partners, their status and contacts. They parse and check input;
services write.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from channelhub.lib.forms import DateInput, Form, ModelForm
from channelhub.lib.roles import runs_channels_or_partners
from channels_app.channels.models import Channel

from .models import Partner, PartnerContact
from .services import normalise_region_codes, unique_partner_slug

User = get_user_model()


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


class PartnerForm(ModelForm):
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
        managers = User.objects.filter(is_active=True).filter(runs_channels_or_partners())
        if not can_assign_manager:
            # A partner manager owns what they register; only the programme
            # leads hand partners to someone else.
            managers = managers.filter(pk=user.pk)
            manager.required = True
            manager.empty_label = None
            manager.error_messages["invalid_choice"] = (
                "Only a marketing manager hands a partner to another manager: "
                "name yourself, or ask one."
            )
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


class StatusForm(Form):
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


class ContactForm(ModelForm):
    class Meta:
        model = PartnerContact
        fields = ["name", "role", "email", "phone", "is_primary"]


class ContactPageForm(ContactForm):
    """The contact form of the pages: also says whether the person still works
    with the partner (the API keeps ContactForm's fields)."""

    class Meta(ContactForm.Meta):
        fields = [*ContactForm.Meta.fields, "is_active"]


class OnboardingStepForm(Form):
    title = forms.CharField(max_length=120, label="New step")


def partner_choice_field(field: forms.Field, partners: QuerySet[Partner]) -> None:
    choice = cast(forms.ModelChoiceField, field)
    choice.queryset = partners.select_related("channel")
    choice.label_from_instance = lambda p: f"{p.name} ({p.channel.name})"  # type: ignore[method-assign,assignment]
