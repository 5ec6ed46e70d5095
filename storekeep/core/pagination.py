"""page/page_size pagination for lists, cursor pagination for the ledger (SPEC §10)."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class LedgerCursorPagination(pagination.CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("-created_at", "-id")  # index (tenant, created_at, id)


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
