"""The API's paging (DEFAULT_PAGINATION_CLASS).

A module of its own: DRF reads the default pagination class while
rest_framework.generics is being imported, so it cannot live next to views.
"""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """?page=N&page_size=M, at most `max_page_size` items a page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
