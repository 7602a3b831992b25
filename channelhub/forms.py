"""Forms of the pages that belong to no single app."""

from __future__ import annotations

from django import forms

from .models import ApiToken


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]
        labels = {"name": "Token name"}
