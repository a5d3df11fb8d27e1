"""Cursor pagination for every list of the API.

A cursor (not a page number) keeps a walk through a list stable while the
archive grows: an import that adds posts never shifts what the next page
holds, and no page costs a COUNT over the whole table.
"""
from __future__ import annotations

from datetime import UTC, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MIN_POSITION_TIME = datetime(1900, 1, 1, tzinfo=UTC)
MAX_POSITION_TIME = datetime(9000, 1, 1, tzinfo=UTC)


class ApiCursorPagination(CursorPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = f"Results per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."
    max_page_size = MAX_PAGE_SIZE
    # Each view names its ordering (``cursor_ordering``): its first field
    # positions the cursor and the primary key after it breaks ties, so that
    # the order is total and a walk never repeats or skips a row.
    ordering = ("id",)

    def get_ordering(self, request, queryset, view):
        return getattr(view, "cursor_ordering", self.ordering)

    def decode_cursor(self, request):
        """The cursor, or 404 (DRF's "Invalid cursor") when its position is
        not a value of the ordering field: cursors are ours, opaque to clients,
        and a forged one must not reach the database as a bad literal."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and not self._valid_position(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def _valid_position(self, position: str) -> bool:
        field = self._queryset_model._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            value = field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        if isinstance(value, datetime):
            # Aware and inside what PostgreSQL and Python both hold.
            return value.tzinfo is not None and MIN_POSITION_TIME <= value <= MAX_POSITION_TIME
        if isinstance(value, int):
            return -(2**63) < value < 2**63
        return value is not None

    def paginate_queryset(self, queryset, request, view=None):
        self._queryset_model = queryset.model
        return super().paginate_queryset(queryset, request, view)
