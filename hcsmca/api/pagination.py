"""Cursor (keyset) pagination for every list of the API.

A cursor, not a page number, keeps a walk through a list stable while the
archive grows: an import that adds posts never shifts what the next page
holds, and no page costs a COUNT over the whole table. Each view orders by a
field and then its primary key (``cursor_ordering``, e.g. created_at, id);
the cursor carries the values of the whole key of the row it starts after,
so rows that share a time (a burst of retweets in the same second) are
neither repeated nor skipped, backwards as well as forwards. DRF's own
CursorPagination positions by the first field only and walks back through
ties inexactly; its query parameters and response shape are kept.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MIN_POSITION_TIME = datetime(1900, 1, 1, tzinfo=UTC)
MAX_POSITION_TIME = datetime(9000, 1, 1, tzinfo=UTC)
MAX_CURSOR_LENGTH = 1000


class ApiCursorPagination(CursorPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = f"Results per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."
    cursor_query_description = "Where the page starts: the next or previous link of another page."
    max_page_size = MAX_PAGE_SIZE
    ordering = ("id",)

    def paginate_queryset(self, queryset, request, view=None):
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.request = request
        self.ordering = tuple(getattr(view, "cursor_ordering", self.ordering))
        self.fields = [queryset.model._meta.get_field(name) for name in self.ordering]
        cursor = self._decode(request)
        values, reverse = cursor if cursor else (None, False)

        if values is not None:
            queryset = queryset.filter(self._beyond(values, reverse))
        order = [f"-{name}" if reverse else name for name in self.ordering]
        rows = list(queryset.order_by(*order)[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()

        # (values, reverse) of the next and previous pages, or None.
        if rows:
            first, last = self._key_of(rows[0]), self._key_of(rows[-1])
            after = more if not reverse else True
            before = (values is not None) if not reverse else more
            self.next_cursor = (last, False) if after else None
            self.previous_cursor = (first, True) if before else None
        else:
            self.next_cursor = (values, False) if reverse and values is not None else None
            self.previous_cursor = (values, True) if not reverse and values is not None else None
        self.page = rows
        return rows

    def get_next_link(self):
        return self._link(self.next_cursor)

    def get_previous_link(self):
        return self._link(self.previous_cursor)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    # --- the key -------------------------------------------------------------------

    def _key_of(self, row) -> list:
        return [getattr(row, field.attname) for field in self.fields]

    def _beyond(self, values: list, reverse: bool) -> Q:
        """Rows after the key ``values`` in the list's order (before it when
        ``reverse``): (a, b) > (x, y) is a > x, or a = x and b > y. The first
        field is also bounded on its own so that its index is used."""
        lookup = "lt" if reverse else "gt"
        alternatives = []
        for i, field in enumerate(self.fields):
            equal = {self.fields[j].attname: values[j] for j in range(i)}
            alternatives.append(Q(**equal, **{f"{field.attname}__{lookup}": values[i]}))
        first = self.fields[0].attname
        return Q(**{f"{first}__{lookup}e": values[0]}) & reduce(or_, alternatives)

    # --- the cursor as text ------------------------------------------------------------

    def _link(self, cursor) -> str | None:
        if cursor is None:
            return None
        values, reverse = cursor
        payload = {"k": [v.isoformat() if isinstance(v, datetime) else v for v in values]}
        if reverse:
            payload["r"] = 1
        text = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, text)

    def _decode(self, request):
        """(values, reverse) from the cursor parameter, None without one, 404
        ("Invalid cursor", as DRF answers) when it is not one of ours: cursors
        are opaque, and a forged one must not reach the database as a bad
        literal."""
        text = request.query_params.get(self.cursor_query_param)
        if not text:
            return None
        try:
            if len(text) > MAX_CURSOR_LENGTH:
                raise ValueError("too long")
            payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            raw, reverse = payload["k"], payload.get("r", 0)
            if not isinstance(raw, list) or len(raw) != len(self.fields) or reverse not in (0, 1):
                raise ValueError("wrong shape")
            values = [self._value(field, item) for field, item in zip(self.fields, raw)]
        except (ValueError, TypeError, KeyError, OverflowError, DjangoValidationError, binascii.Error,
                UnicodeDecodeError, AttributeError):
            raise NotFound(self.invalid_cursor_message) from None
        return values, bool(reverse)

    @staticmethod
    def _value(field, item):
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise ValueError("not a key value")
        value = field.to_python(item)
        if isinstance(value, datetime):
            # Aware and inside what PostgreSQL and Python both hold.
            if value.tzinfo is None or not MIN_POSITION_TIME <= value <= MAX_POSITION_TIME:
                raise ValueError("time out of range")
        elif isinstance(value, int):
            if not -(2**63) < value < 2**63:
                raise ValueError("integer out of range")
        else:
            raise ValueError("not a key value")
        return value
