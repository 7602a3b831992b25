"""Forms of the partner portal: choosing a password, a message, an action item
ticked off. They parse and check input; services write."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone

from channelhub.lib.forms import DateInput, Form
from partners.contracts.documents import ACCEPTED, max_document_bytes
from partners.enablement.models import TrainingModule
from partners.incentives.forms import ClaimForm


class AcceptInvitationForm(Form):
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Type it again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        return data


class MessageForm(Form):
    body = forms.CharField(
        label="Message",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ActionItemDoneForm(Form):
    note = forms.CharField(
        label="What was done",
        max_length=300,
        required=False,
        help_text="Optional: a short note for your partner manager.",
    )


class PortalClaimForm(ClaimForm):
    """A fund claim from the portal: the partner is the user's own; proof is required."""

    proof = forms.FileField(label="Proof of the activity")

    class Meta(ClaimForm.Meta):
        fields = ["activity_date", "amount", "description"]
        widgets = {"activity_date": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partners=None, **kwargs)
        del self.fields["partner"]
        self.fields[
            "proof"
        ].help_text = (
            f"An invoice or a photo: {ACCEPTED} up to {max_document_bytes() // 1_048_576} MB."
        )


class PortalTrainingForm(Form):
    """A partner user completed a training module (for themselves)."""

    module = forms.ModelChoiceField(
        queryset=TrainingModule.objects.filter(is_active=True).order_by("name"),
        label="Training module",
    )
    completed_on = forms.DateField(widget=DateInput(), label="Completed on")
    certificate = forms.FileField(label="Certificate", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["certificate"].help_text = (
            f"Optional: the course's certificate, {ACCEPTED} up to "
            f"{max_document_bytes() // 1_048_576} MB."
        )

    def clean_completed_on(self) -> date:
        value = self.cleaned_data["completed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("A completion cannot be in the future.")
        return value


class ContractAcknowledgeForm(Form):
    """The terms acknowledged: the contract's last change the page showed."""

    terms_as_of = forms.DateTimeField(widget=forms.HiddenInput)
