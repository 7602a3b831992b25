from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings

from channelhub.lib.forms import Form
from channelhub.lib.uploads import read_head

from .checks import FileProblem
from .currency import has_rates, reporting_currency_problem
from .services import check_upload


class ImportForm(Form):
    file = forms.FileField(
        label="File of daily facts",
        help_text="CSV (UTF-8) or XLSX with a header row; see the template for every column.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    create_channels = forms.BooleanField(
        required=False,
        label="Create channels that do not exist yet (kind “other”)",
        help_text=(
            "For a first import of a business's history; otherwise an unknown channel is an error."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            check_upload(name=upload.name, size=upload.size, head=read_head(upload))
        except FileProblem as problem:
            raise forms.ValidationError(str(problem)) from None
        return upload

    @property
    def max_mb(self) -> int:
        return settings.MAX_UPLOAD_BYTES // (1024 * 1024)


def value_field(value: str) -> str:
    """The form field of one channel value (stable whatever the other values)."""
    import hashlib

    return "value_" + hashlib.sha256(value.encode()).hexdigest()[:12]


class MappingForm(Form):
    """The mapping step: for each column of the file, the field it feeds (or
    "ignore"); one channel for the whole file, or what each of the file's
    channel values is; the date format and decimal mark when the file cannot
    say; and a name to remember it all as a source."""

    preset = forms.ChoiceField(
        required=False,
        label="The file is an export of",
        help_text=(
            "A ready-made format sets the columns below (with none, they are matched by "
            "their names); change any of them as needed."
        ),
    )
    constant_channel = forms.ChoiceField(
        required=False,
        label="One channel for the whole file",
        help_text="For a file of one channel (an ad account); else map a column to Channel.",
    )
    date_format = forms.ChoiceField(required=False, label="Dates are written as")
    decimal = forms.ChoiceField(
        required=False,
        label="Decimal mark",
        choices=[("", "Detect"), (".", "Dot: 1,234.56"), (",", "Comma: 1.234,56")],
    )
    sheet = forms.ChoiceField(required=False, label="Sheet")
    currency = forms.RegexField(
        regex=r"^[A-Za-z]{3}$",
        required=False,
        max_length=3,
        label="Currency of the amounts",
        help_text="Leave empty for the reporting currency; another is converted with the daily "
        "exchange rates.",
        error_messages={"invalid": "A currency code: three letters, such as EUR."},
    )
    header_line = forms.IntegerField(
        required=False, min_value=1, max_value=200, label="Header on line"
    )
    save_as = forms.CharField(
        required=False,
        max_length=120,
        label="Remember as a source named",
        help_text="Files with the same columns are then imported without these questions.",
    )

    def __init__(
        self,
        data: Any = None,
        *,
        initial: dict[str, Any] | None = None,
        refresh_url: str = "",
        layout: Any,
        plan: dict[str, Any],
        channels: list[tuple[str, str]],
        channel_values: list[tuple[str, bool]],
        may_create_channels: bool,
    ) -> None:
        from .formats import DATE_FORMATS
        from .mapping import DROP, FIELD_LABELS, IGNORE, is_derived, looks_like_money, suggest
        from .presets import PRESETS
        from .sources import CREATE

        super().__init__(data, initial=initial)
        self.layout = layout
        # Choices that change what the step shows re-render it (htmx) as they change.
        remap = {
            "hx-post": refresh_url,
            "hx-vals": '{"refresh": "1"}',
            "hx-include": "closest form",
            "hx-target": "#mapping",
            "hx-select": "#mapping",
            "hx-swap": "outerHTML",
            # A newer change cancels the request of an older one: the last answer has them all.
            "hx-sync": "closest form:replace",
        }
        cast(forms.ChoiceField, self.fields["preset"]).choices = [
            ("", "None of these"),
            *((slug, preset["name"]) for slug, preset in PRESETS.items()),
        ]
        self.fields["preset"].initial = plan.get("preset", "")
        # Choosing a format sets every column again (the others keep what they show).
        self.fields["preset"].widget.attrs.update(
            {**remap, "hx-vals": '{"refresh": "1", "apply_preset": "1"}'}
        )
        field_choices = [(IGNORE, "Ignore this column"), *FIELD_LABELS.items()]
        planned = plan.get("columns") or {}
        taken: set[str] = set()
        self.column_fields = []
        for i, name in enumerate(layout.names):
            if not name.strip():
                continue
            guess = planned.get(name) or suggest(name) or name.strip().lower()
            if guess in taken and plan.get("first_wins") and guess != IGNORE:
                chosen = IGNORE  # a format's other name for a figure already read
            elif guess in FIELD_LABELS or guess == IGNORE:
                chosen = guess
                taken.add(guess)
            elif looks_like_money(name, layout.column_values(i)) and not is_derived(name):
                chosen = ""  # amounts are never dropped unless the user says so
            else:
                chosen = IGNORE
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=name,
                choices=[("", "Choose…"), *field_choices],
                initial=chosen,
                error_messages={"required": "Choose a field, or “Ignore this column”."},
                widget=forms.Select(attrs=remap),
            )
            self.column_fields.append(self[f"col_{i}"])
        cast(forms.ChoiceField, self.fields["constant_channel"]).choices = [
            ("", "No: a column names the channel")
        ] + [(slug, name) for slug, name in channels]
        self.fields["constant_channel"].initial = plan.get("constant_channel", "")
        cast(forms.ChoiceField, self.fields["date_format"]).choices = [
            ("", "Detect"),
            *DATE_FORMATS.items(),
        ]
        self.fields["date_format"].initial = plan.get("date_format", "")
        self.fields["decimal"].initial = plan.get("decimal", "")
        self.fields["currency"].initial = plan.get("currency", "")
        if layout.kind == "xlsx" and len(layout.sheets) > 1:
            cast(forms.ChoiceField, self.fields["sheet"]).choices = [(s, s) for s in layout.sheets]
            self.fields["sheet"].initial = layout.sheet
        else:
            del self.fields["sheet"]
        self.fields["header_line"].initial = layout.header_line
        for name in ("constant_channel", "sheet", "header_line", "decimal"):
            if name in self.fields:
                self.fields[name].widget.attrs.update(remap)
        mapped = plan.get("channel_values") or {}
        self.value_fields = []
        value_choices = [(slug, f"→ {name}") for slug, name in channels]
        if may_create_channels:
            value_choices.append((CREATE, "Create a channel with this name"))
        value_choices.append((DROP, "Drop these rows (they are counted in the report)"))
        for value, known in channel_values:
            choices = ([("", "As named (an existing channel)")] if known else []) + value_choices
            key = value_field(value)
            self.fields[key] = forms.ChoiceField(
                label=value,
                choices=[("", "Choose…"), *choices] if not known else choices,
                required=not known,
                initial=mapped.get(value.lower(), mapped.get(value, "")),
                error_messages={
                    "required": "No channel has this name: map it, create it or drop it."
                },
            )
            self.value_fields.append(self[key])
        self.channel_values = [v for v, _ in channel_values]

    def clean_currency(self) -> str:
        code = (self.cleaned_data.get("currency") or "").upper()
        if code and code != settings.REPORTING_CURRENCY and not has_rates(code):
            raise forms.ValidationError(
                f"There are no exchange rates for {code}: add its daily rates under "
                f"Exchange rates first, or leave this empty for {settings.REPORTING_CURRENCY}."
            )
        return "" if code == settings.REPORTING_CURRENCY else code

    def plan(self) -> tuple[dict[str, Any], list[str]]:
        """The plan the form describes, and the channel values to create channels for."""
        from .presets import preset_plan
        from .sources import CREATE

        data = self.cleaned_data
        columns = {
            name: data[f"col_{i}"]
            for i, name in enumerate(self.layout.names)
            if data.get(f"col_{i}")
        }
        values: dict[str, str] = {}
        create: list[str] = []
        for value in self.channel_values:
            choice = data.get(value_field(value)) or ""
            if choice == CREATE:
                create.append(value)
            elif choice:
                values[value.lower()] = choice
        plan: dict[str, Any] = {
            "columns": columns,
            "constant_channel": data.get("constant_channel") or "",
            "channel_values": values,
            "reader": {
                k: v
                for k, v in (
                    ("sheet", data.get("sheet") or ""),
                    (
                        "header_line",
                        data.get("header_line")
                        if data.get("header_line") != self.layout.sniffed_header_line
                        else None,
                    ),
                )
                if v
            },
        }
        for key in ("date_format", "decimal"):
            if data.get(key):
                plan[key] = data[key]
        if data.get("currency"):
            plan["currency"] = data["currency"].upper()
        if data.get("preset"):
            # What the format knows beyond its columns (GA4's totals rows without a label).
            extras = preset_plan(data["preset"]) or {}
            for key in ("date_format", "decimal", "unlabelled_totals"):
                if key in extras and key not in plan:
                    plan[key] = extras[key]
            plan["preset"] = data["preset"]
        return plan, create


class RatesUploadForm(Form):
    file = forms.FileField(
        label="File of exchange rates",
        help_text="CSV with the columns date (YYYY-MM-DD), currency (EUR) and rate (what one "
        "unit is worth in the reporting currency). A rate of an existing day is replaced.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("A rates file is at most 5 MB.")
        return upload


class RateForm(Form):
    currency = forms.RegexField(
        regex=r"^[A-Za-z]{3}$",
        max_length=3,
        error_messages={"invalid": "A currency code: three letters, such as EUR."},
    )
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    rate = forms.DecimalField(
        max_digits=18,
        decimal_places=8,
        min_value=Decimal("0.00000001"),
        help_text="What one unit of the currency is worth in the reporting currency that day.",
    )

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].upper()
        problem = reporting_currency_problem(code)
        if problem:
            raise forms.ValidationError(problem)
        return code
