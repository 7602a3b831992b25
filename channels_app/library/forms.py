"""Forms of the brand library pages: publish an item, replace its file."""

from __future__ import annotations

from typing import Any

from django import forms

from channelhub.lib.documents import ACCEPTED, max_document_bytes
from channelhub.lib.forms import Form, ModelForm

from .models import LibraryItem


def _file_help() -> str:
    return f"{ACCEPTED} up to {max_document_bytes() // 1_048_576} MB, checked by its content."


class LibraryItemForm(ModelForm):
    file = forms.FileField(label="File")
    note = forms.CharField(
        label="Note",
        max_length=300,
        required=False,
        help_text="Optional: what partners should know about this file.",
    )

    class Meta:
        model = LibraryItem
        fields = ["title", "kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _file_help()
        self.fields["description"].help_text = "What it is and when to use it."


class LibraryReplaceForm(Form):
    file = forms.FileField(label="New file")
    note = forms.CharField(
        label="What changed",
        max_length=300,
        required=False,
        help_text="Optional, shown with the version (e.g. “prices from 1 March”).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _file_help()
