"""Request parsing that answers bad input with a clear 400, never a 500 (SPEC §10)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32


def json_depth_exceeds(data, limit: int) -> bool:
    """Whether ``data`` (parsed JSON) nests lists/objects more than ``limit`` levels deep."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing JSON nested deeper than ``MAX_JSON_DEPTH`` levels.

    Errors: 400 ``malformed_request`` (rendered from ``ParseError``) for JSON that is
    invalid or nested too deeply (Python's parser would run out of stack at ~1,000
    levels, and every later walk over the data would pay for the depth).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep.")
        return data
