"""Query-string parsing shared by list and report views (SPEC §10)."""

from .errors import ValidationFailed

#: Parameters handled by pagination and rendering, not by filters.
RESERVED_PARAMS = frozenset({"format", "page", "page_size", "cursor"})


def parse_query(serializer_class, request) -> dict:
    """Validate the filters of ``request``'s query string with ``serializer_class``.

    Blank values (``?location_id=``) mean "no filter", as forms and clients send
    them; pagination and format parameters are left to their handlers. Raises
    ValidationFailed (400 ``validation_error``, field errors in ``details``).
    """
    params = {
        key: value
        for key, value in request.query_params.items()
        if key not in RESERVED_PARAMS and value.strip() != ""
    }
    serializer = serializer_class(data=params)
    if not serializer.is_valid():
        raise ValidationFailed("Invalid query parameters.", details=serializer.errors)
    return serializer.validated_data
