"""/api/v1/openapi.json, generated once per process: the document depends on
the code only (no servers, no per-user parts: SERVE_PUBLIC), and generating
it takes longer than any list page."""
from __future__ import annotations

from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.response import Response

_documents: dict = {}


class OpenApiDocumentView(SpectacularJSONAPIView):
    def _get_schema_response(self, request):
        if "document" not in _documents:
            response = super()._get_schema_response(request)
            _documents["document"] = (response.data, dict(response.headers))
        data, headers = _documents["document"]
        return Response(data=data, headers=headers)
