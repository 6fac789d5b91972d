"""Answers every API operation can give, added to the OpenAPI document in one place
(a drf-spectacular postprocessing hook): 401 and 429 everywhere, 404 on a bad ``page``.
The fuzz test (tests/test_api_fuzz.py) holds the document to what the API answers."""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def _answer(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def document_common_answers(result: dict, generator, request, public) -> dict:
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.setdefault("429", _answer("Throttled or locked out; see Retry-After"))
            if operation.get("security") != [{}] and path != "/api/v1/auth/token/":
                responses.setdefault("401", _answer("Not logged in, or the token expired"))
            parameters = {p.get("name") for p in operation.get("parameters", [])}
            if "page" in parameters or "{id}" in path or "{pk}" in path:
                responses.setdefault("404", _answer("Not found (or no such page)"))
    return result
