"""The OpenAPI document (drf-spectacular) with the answers every operation
can give besides 200, so that clients (and schemathesis) know them."""
from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
# {"filter name": ["what is wrong with it"]}
INVALID = {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}


def _response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._is_list_view():
            responses.setdefault("400", _response("A filter's value is not valid.", INVALID))
            responses.setdefault("404", _response("The cursor is not valid.", DETAIL))
        else:
            responses.setdefault("404", _response("No such object, or not public.", DETAIL))
        responses.setdefault("429", _response("Rate limited: try again after Retry-After seconds.", DETAIL))
        return responses
