"""``OPTIONS`` answers for every API view (SPEC §10: never a 500)."""

import logging

from rest_framework.metadata import SimpleMetadata

logger = logging.getLogger("storekeep.api")


class Metadata(SimpleMetadata):
    """DRF's metadata; the ``actions`` (request fields) only for views whose serializer it can build.

    Command and list views with hand-written input serializers (transfers, counts,
    purchase orders) have no ``serializer_class``: their ``OPTIONS`` lists name,
    description, renderers and parsers, and the OpenAPI document at
    ``/api/schema/`` describes their bodies.
    """

    def determine_actions(self, request, view):
        if not hasattr(view, "get_serializer"):
            return {}
        try:
            return super().determine_actions(request, view)
        except (AssertionError, AttributeError, TypeError, KeyError):
            logger.debug("OPTIONS without actions for %s", type(view).__name__)
            return {}
