"""The API's list filters (django-filter), in a module of their own: DRF reads
DEFAULT_FILTER_BACKENDS while rest_framework.generics is being imported, so the
backend cannot live next to views (channelhub.lib.api)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.request import Request


def key_filter(field_name: str, label: str, **kwargs: Any) -> django_filters.CharFilter:
    """A list filter by a related object's key (a slug, a username, a code).

    A key that names nothing matches nothing: the answer is an empty page, as
    for any filter value no row has, not a 400 (a page's filter form offers
    only existing choices; an API client may well ask for a partner's contacts
    before the partner exists).
    """
    return django_filters.CharFilter(field_name=field_name, label=label, **kwargs)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend (DEFAULT_FILTER_BACKENDS), refusing an empty value
    for a filter whose values have a shape (a choice, a date, a number, yes/no):
    `?status=` is a mistake a client should hear of, not "any status". An empty
    text filter (a search, a slug) still means no filter."""

    def get_filterset(self, request: Request, queryset: Any, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            empty = {
                name: ["Give a value, or leave the parameter out."]
                for name, value in request.query_params.items()
                if value == ""
                # An empty sort is an empty list: the default order.
                and not isinstance(filterset.filters.get(name), django_filters.OrderingFilter)
                and isinstance(
                    filterset.filters.get(name),
                    django_filters.ChoiceFilter
                    | django_filters.DateFilter
                    | django_filters.NumberFilter
                    | django_filters.BooleanFilter,
                )
            }
            # A sort is a comma-separated list of fields: `sort=name,` or `sort=,`
            # names an empty one (the schema's items are the fields).
            for name, values in request.query_params.lists():
                if isinstance(filterset.filters.get(name), django_filters.OrderingFilter) and any(
                    value and "" in [item.strip() for item in value.split(",")] for value in values
                ):
                    empty[name] = ["Name the sort fields separated by commas, none empty."]
            if empty:
                raise exceptions.ValidationError(empty)
        return filterset


class _StrictNullBooleanField(forms.NullBooleanField):
    """true/false (1/0, True/False) or nothing; anything else is an error, not "any"."""

    # The raw text: a select widget turns what it does not know into "any".
    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if value in (None, ""):
            return None
        if str(value) in ("true", "True", "1"):
            return True
        if str(value) in ("false", "False", "0"):
            return False
        raise ValidationError("Say true or false.", code="invalid")

    def validate(self, value: Any) -> None:
        pass


class BooleanFilter(django_filters.BooleanFilter):
    """A yes/no list filter that refuses a value it cannot read (django-filter's own
    quietly ignored `?follow_up_open=maybe` and listed everything)."""

    field_class = _StrictNullBooleanField
