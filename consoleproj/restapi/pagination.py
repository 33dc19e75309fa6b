"""The API's pagination: DRF's limit/offset, bounded so no query parameter reaches the database as a
number it cannot hold (schemathesis found `?limit=264006963567389966336` answering 500 on PostgreSQL:
bigint out of range)."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 2**31 - 1  # far beyond any list we serve; an offset past the end is an empty page


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 500

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)
