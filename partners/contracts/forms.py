"""Forms of contracts and compliance attestations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from channelhub.lib.forms import DateInput, ModelForm
from partners.directory.forms import RegionCodesField

from .documents import ACCEPTED, check_document, max_document_bytes
from .models import MAX_NOTICE_DAYS, NOTICE_DAYS_MESSAGE, ComplianceAttestation, Contract


class ContractForm(ModelForm):
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
        notice: Any = self.fields["notice_days"]
        notice.widget.attrs["max"] = MAX_NOTICE_DAYS
        notice.error_messages["min_value"] = NOTICE_DAYS_MESSAGE
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

    def clean_notice_days(self) -> Any:
        value = self.cleaned_data.get("notice_days")
        if value is not None and not 0 <= value <= MAX_NOTICE_DAYS:
            raise forms.ValidationError(NOTICE_DAYS_MESSAGE)
        return value

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


class AttestationForm(ModelForm):
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
