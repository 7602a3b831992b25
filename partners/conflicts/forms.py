"""Forms of conflict cases and the price list (products, observed prices and
their CSV import).
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from channelhub.lib.forms import DateInput, Form, ModelForm
from channelhub.lib.uploads import read_head, spreadsheet_content_problem
from channels_app.channels.models import Channel
from partners.directory.forms import partner_choice_field
from partners.directory.models import Partner
from partners.directory.roles import edits_all_partners

from .models import ConflictCase, PriceObservation, Product
from .price_import import MAX_FILE_BYTES
from .services import conflict_owner_choices

C = ConflictCase


class ProductForm(ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "list_price", "map_price", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        list_price, map_price = data.get("list_price"), data.get("map_price")
        if list_price is not None and list_price < 0:
            self.add_error("list_price", "The list price cannot be negative.")
        if map_price is not None and map_price < 0:
            self.add_error("map_price", "The MAP cannot be negative.")
        elif map_price is not None and list_price is not None and map_price > list_price:
            self.add_error("map_price", "The MAP cannot be above the list price.")
        return data


class ObservationForm(ModelForm):
    class Meta:
        model = PriceObservation
        fields = ["partner", "product", "price", "observed_on", "where_seen"]
        widgets = {"observed_on": DateInput()}
        labels = {"price": "Advertised price"}

    def __init__(self, *args: Any, partners: QuerySet[Partner] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if partners is None:
            del self.fields["partner"]
        else:
            partner_choice_field(self.fields["partner"], partners)
        product = cast(forms.ModelChoiceField, self.fields["product"])
        product.queryset = Product.objects.filter(is_active=True).order_by("sku")
        if not self.is_bound:
            self.initial.setdefault("observed_on", timezone.localdate())

    def clean_price(self) -> Any:
        value = self.cleaned_data.get("price")
        if value is not None and value < 0:
            raise forms.ValidationError("A price cannot be negative.")
        return value

    def clean_observed_on(self) -> date:
        value = self.cleaned_data["observed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("Record prices that were seen, not expected ones.")
        return value

    def _post_clean(self) -> None:
        pass  # the service validates the model, including "already recorded"


class PriceImportForm(Form):
    file = forms.FileField(
        label="CSV of observed prices",
        help_text="UTF-8 CSV with a header row: date, partner, sku, price, where_seen.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Upload a .csv file.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it."
            )
        problem = spreadsheet_content_problem(".csv", read_head(upload))
        if problem:
            raise forms.ValidationError(problem)
        return upload


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


class ConflictForm(ModelForm):
    partners = forms.ModelMultipleChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Ctrl-click (⌘-click) to choose several.",
    )
    channels = forms.ModelMultipleChoiceField(
        queryset=Channel.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Channels in conflict, e.g. for cannibalisation.",
    )

    class Meta:
        model = ConflictCase
        fields = ["kind", "title", "severity", "owner", "partners", "channels", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(
        self, *args: Any, user: Any, may_assign_owner: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # Whoever decides the case (its owner, a marketing manager) may take
        # any party off it; a party's manager only their own partners.
        self.may_remove_any = may_assign_owner
        partners = cast(forms.ModelMultipleChoiceField, self.fields["partners"])
        partners.queryset = Partner.objects.select_related("channel").order_by("name")
        partners.label_from_instance = lambda p: f"{p.name} ({p.channel.name})"  # type: ignore[method-assign,assignment]
        channels = cast(forms.ModelMultipleChoiceField, self.fields["channels"])
        channels.queryset = Channel.objects.order_by("name")
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        owner.queryset = conflict_owner_choices()
        owner.label_from_instance = lambda u: u.get_full_name() or u.get_username()  # type: ignore[method-assign,assignment]
        if not may_assign_owner:
            # Shown, not changed: handing a case over is its owner's or a
            # marketing manager's (partners.assign_conflictcase_owner). A
            # disabled field keeps the stored owner whatever is posted.
            owner.disabled = True
            owner.help_text = "Its owner or a marketing manager hands the case over."
        if self.instance.pk and not self.is_bound:
            self.initial["partners"] = list(self.instance.partners.all())
            self.initial["channels"] = list(self.instance.channels.all())
        if self.instance.pk and self.instance.source == C.Source.DETECTED:
            # What a rule found is kept as found; people work on the rest.
            del self.fields["kind"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        partners = list(data.get("partners") or [])
        channels = list(data.get("channels") or [])
        if not partners and not channels:
            self.add_error("partners", "Name at least one partner or channel involved.")
        elif not edits_all_partners(self.user) and not any(
            p.manager_id == self.user.pk for p in partners
        ):
            self.add_error(
                "partners", "Include at least one of your partners: you work on their cases."
            )
        elif self.instance.pk and not self.may_remove_any:
            kept = {p.pk for p in partners}
            theirs = [
                p
                for p in self.instance.partners.select_related("manager").order_by("name")
                if p.pk not in kept and p.manager_id != self.user.pk
            ]
            if theirs:
                names = ", ".join(
                    f"{p.name} ({_person(p.manager)}'s partner)" if p.manager else p.name
                    for p in theirs
                )
                self.add_error(
                    "partners",
                    f"Only the case's owner or a marketing manager can take another "
                    f"manager's partner off the case: {names}.",
                )
        return data

    def _post_clean(self) -> None:
        pass


class NoteForm(Form):
    body = forms.CharField(
        label="Add a note",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What happened, what was agreed…"}),
        max_length=5000,
    )


class ConflictStatusForm(Form):
    status = forms.ChoiceField(choices=[(C.Status.INVESTIGATING, "Investigating")])
    note = forms.CharField(max_length=300, required=False, label="Why")

    def __init__(self, *args: Any, case: ConflictCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .services import CONFLICT_TRANSITIONS

        allowed = CONFLICT_TRANSITIONS[case.status] - set(C.CLOSED_STATUSES)
        status = cast(forms.ChoiceField, self.fields["status"])
        status.choices = [(s, label) for s, label in C.Status.choices if s in allowed]


class ConflictCloseForm(Form):
    status = forms.ChoiceField(
        choices=[(C.Status.RESOLVED, "Resolved"), (C.Status.DISMISSED, "Dismissed")],
        widget=forms.RadioSelect,
        label="Outcome",
        initial=C.Status.RESOLVED,
    )
    resolution = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="What was decided and done (or, to dismiss, why it is no conflict).",
    )
    rule_agreed = forms.CharField(
        max_length=300,
        required=False,
        label="Rule agreed",
        help_text="The rule the parties agreed for the future, e.g. “first registration wins”.",
    )
