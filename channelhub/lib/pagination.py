"""The API's paging (DEFAULT_PAGINATION_CLASS).

A module of its own: DRF reads the default pagination class while
rest_framework.generics is being imported, so it cannot live next to views.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class Pagination(PageNumberPagination):
    """?page=N&page_size=M, at most `max_page_size` items a page.

    A `page_size` that is not a whole number of 1 or more is a 400 (DRF's own
    paging quietly used the default for `page_size=null` or `abc`); a bigger one
    than `max_page_size` gets `max_page_size` items. A `page` that is not a
    whole number is a 400 too; one past the last page is a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1 or not raw.isdigit():
            raise exceptions.ValidationError(
                {self.page_size_query_param: ["A whole number of 1 or more."]}
            )
        return min(size, self.max_page_size)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        # A page that is not a whole number is a 400, like page_size; one
        # past the last page stays DRF's 404 ("Invalid page.").
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw != "last" and not raw.isdigit():
            raise exceptions.ValidationError(
                {self.page_query_param: ["A whole number of 1 or more."]}
            )
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Items a page (at most {self.max_page_size}; more gives {self.max_page_size})."
                )
        return parameters
