"""Content negotiation: an unknown ``?format=`` is a 400 naming the parameter (issue 9).

DRF answers a ``format`` no renderer of the view has with a bare 404, which no
operation documents; here it is 400 ``validation_error`` with
``details = {"format": [message]}`` listing the formats the route renders
(``json``, and ``csv`` on lists and reports). An ``Accept`` header no renderer
matches stays DRF's 406.
"""

from rest_framework.negotiation import DefaultContentNegotiation

from .errors import ValidationFailed


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        asked = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        formats = [renderer.format for renderer in renderers]
        if asked and asked not in formats:
            shown = ", ".join(f for f in formats if f != "api")  # the browsable API's own
            raise ValidationFailed(
                f"Unknown format {asked!r}: this route renders {shown}.",
                details={"format": [f"One of: {shown}."]},
            )
        return super().select_renderer(request, renderers, format_suffix)
