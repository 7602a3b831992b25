"""What every app's forms share: the base classes that check typed text, and widgets.

Every form derives from `Form` or `ModelForm` here (a test walks the apps'
forms modules to hold to it), so one place decides what text may be stored:

- a length limit on every text field (the model's, else `DEFAULT_MAX_LENGTH`);
- no control characters (NUL, escape, ...): tab and new lines only in a
  multi-line field (a `Textarea`);
- no text-direction overrides in one-line fields (names, titles);
- every date inside the business window (channelhub.lib.dates): a deal, a
  contract end or a claim dated 9999-12-31 is refused next to its field.
  Forms of facts dates add the narrower facts window themselves.

The API runs these same forms (`channelhub.lib.api.FormModelSerializer`), and its
parsers refuse control characters before any view reads the body.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from .dates import validate_business_date
from .text import text_problem

# For a text field whose form or model sets none (a search box, a note).
DEFAULT_MAX_LENGTH = {"line": 1_000, "multiline": 10_000}


@deconstructible
class CleanTextValidator:
    """Refuses what `text_problem` refuses, for a one-line or a multi-line field."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if isinstance(value, str):
            problem = text_problem(value, multiline=self.multiline, name=not self.multiline)
            if problem:
                raise ValidationError(problem, code="unclean_text")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CleanTextValidator) and other.multiline == self.multiline


def guard_text_field(field: forms.Field) -> None:
    """Give a form's text field its length limit and the clean-text check (once)."""
    if not isinstance(field, forms.CharField) or getattr(field, "_text_guarded", False):
        return
    if isinstance(field.widget, forms.PasswordInput):
        return  # a password is checked by the password validators, never shown
    multiline = isinstance(field.widget, forms.Textarea)
    field.validators = [
        v for v in field.validators if not isinstance(v, validators.ProhibitNullCharactersValidator)
    ]
    field.validators.append(CleanTextValidator(multiline=multiline))
    if field.max_length is None:
        field.max_length = DEFAULT_MAX_LENGTH["multiline" if multiline else "line"]
        field.validators.append(validators.MaxLengthValidator(field.max_length))
        field.widget.attrs.update(field.widget_attrs(field.widget))
    field._text_guarded = True  # type: ignore[attr-defined]


def guard_date_field(field: forms.Field) -> None:
    """Give a form's date field the business date window (once)."""
    if isinstance(field, forms.DateField) and validate_business_date not in field.validators:
        field.validators.append(validate_business_date)


class CleanTextMixin:
    """Checks every text and date field of the form (see the module's docstring)."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard_text_fields()

    def _guard_text_fields(self) -> None:
        for field in self.fields.values():
            guard_text_field(field)
            guard_date_field(field)

    def full_clean(self) -> None:
        # Again: a subclass may add fields after __init__.
        self._guard_text_fields()
        super().full_clean()  # type: ignore[misc]


class Form(CleanTextMixin, forms.Form):
    """The base of every plain form."""


class ModelForm(CleanTextMixin, forms.ModelForm):
    """The base of every model form."""


class DateInput(forms.DateInput):
    """The browser's date picker; the value is always written as ISO (YYYY-MM-DD),
    the only format a date input accepts, whatever the locale's format."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str = "%Y-%m-%d") -> None:
        super().__init__(attrs, format=format)
