"""page/page_size pagination for lists, cursor pagination for the ledger (SPEC §10).

A ``page`` that is not a whole number ≥ 1 (``0``, ``-1``, ``abc``, ``１``) and a
``cursor`` that no list gave are 400 ``validation_error`` naming the parameter;
a page beyond the last is 404 ``not_found`` (issue 9: both documented on every
paginated list by ``storekeep.core.schema``).
"""

import re

from rest_framework import pagination
from rest_framework.exceptions import NotFound

from .errors import ValidationFailed

_WHOLE_NUMBER = re.compile(r"[0-9]+\Z", re.ASCII)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        """The asked page (default 1; ``last`` as DRF reads it); 400 unless a whole number ≥ 1."""
        number = request.query_params.get(self.page_query_param) or "1"
        if number in self.last_page_strings:
            return number
        if not _WHOLE_NUMBER.match(number) or int(number) < 1:
            raise ValidationFailed(
                "page must be a whole number from 1.", details={"page": [number]}
            )
        return number

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        limits = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(limits.get(parameter["name"], {}))
        return parameters


class LedgerCursorPagination(pagination.CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("-created_at", "-id")  # index (tenant, created_at, id)

    def decode_cursor(self, request):
        """The position a ``cursor`` names; 400 for one that no ``next``/``previous`` link gave."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationFailed(
                "cursor is not one this list gave: follow the `next`/`previous` links.",
                details={"cursor": [request.query_params.get(self.cursor_query_param, "")]},
            ) from None


def requested_page(paginator, request) -> slice | None:
    """The rows (a slice) a page-number paginator will read for this request, or None
    when that is not known before counting (``page=last``, a bad number, no paginator)."""
    if paginator is None or not isinstance(paginator, pagination.PageNumberPagination):
        return None
    size = paginator.get_page_size(request)
    try:
        number = int(request.query_params.get(paginator.page_query_param) or 1)
    except (TypeError, ValueError):
        return None
    if not size or number < 1:
        return None
    return slice((number - 1) * size, number * size)
