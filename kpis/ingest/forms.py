from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from channelhub.lib.forms import Form
from channelhub.lib.uploads import read_head

from .checks import FileProblem
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
