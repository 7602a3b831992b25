"""Forms of the pages that belong to no single app."""

from __future__ import annotations

from channelhub.lib.forms import ModelForm

from .models import ApiToken


class ApiTokenForm(ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]
        labels = {"name": "Token name"}
