"""The OpenAPI schema (``/api/schema/``) types every value, so that a client generated from
it works without reading the source: no ``{}``, no object without properties, no map of
untyped values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

COMBINATORS = ("$ref", "oneOf", "anyOf", "allOf")


def untyped(schema: Any, where: str) -> Iterator[str]:
    """The places below ``schema`` whose values a client could not type."""
    if not isinstance(schema, dict):
        yield f"{where}: {schema!r} is not a schema"
        return
    if "$ref" in schema:
        return
    found_combinator = False
    for key in ("oneOf", "anyOf", "allOf"):
        for index, part in enumerate(schema.get(key, [])):
            found_combinator = True
            yield from untyped(part, f"{where}.{key}[{index}]")
    kind = schema.get("type")
    if kind is None:
        if not found_combinator and "enum" not in schema:
            yield f"{where}: no type"
        return
    if kind == "array":
        if "items" not in schema:
            yield f"{where}: an array without items"
        else:
            yield from untyped(schema["items"], f"{where}[]")
    if kind == "object":
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties", False)
        if not properties and not (isinstance(extra, dict) and extra):
            yield f"{where}: an object without properties"
        for name, part in properties.items():
            yield from untyped(part, f"{where}.{name}")
        if extra is True or extra == {}:
            yield f"{where}: additional properties of any type"
        elif isinstance(extra, dict):
            yield from untyped(extra, f"{where}.*")


def everything_untyped(document: dict) -> list[str]:
    problems: list[str] = []
    for name, schema in document["components"]["schemas"].items():
        problems += untyped(schema, name)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            place = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                problems += untyped(parameter["schema"], f"{place} ?{parameter['name']}")
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(code, answer) for code, answer in operation["responses"].items()]
            for label, body in bodies:
                for media, content in body.get("content", {}).items():
                    if "schema" not in content:
                        problems.append(f"{place} {label} {media}: no schema")
                    else:
                        problems += untyped(content["schema"], f"{place} {label} {media}")
    return problems


@pytest.fixture
def document(db) -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_value_in_the_schema_has_a_type(document):
    assert everything_untyped(document) == []


def test_the_checker_finds_untyped_values():
    """The check above can fail: it names each kind of untyped value."""
    found = list(
        untyped(
            {
                "type": "object",
                "properties": {
                    "a": {},
                    "b": {"type": "object"},
                    "c": {"type": "object", "additionalProperties": {}},
                    "d": {"type": "array"},
                    "e": {"type": "object", "additionalProperties": {"type": "number"}},
                    "f": {"title": "scores"},
                },
            },
            "X",
        )
    )
    assert found == [
        "X.a: no type",
        "X.b: an object without properties",
        "X.c: an object without properties",
        "X.c: additional properties of any type",
        "X.d: an array without items",
        "X.f: no type",
    ]


def test_the_new_endpoints_are_typed(document):
    paths = document["paths"]
    pdf = paths["/api/v1/decisions/{id}/pdf/"]["get"]["responses"]["200"]["content"]
    assert pdf == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    preview = paths["/api/v1/decisions/preview/"]["post"]
    assert preview["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DecisionCreateRequest"
    }
    assert preview["responses"]["200"]["content"] == pdf
    assert {"200", "400", "403", "404", "409"} <= set(preview["responses"])
    # The same input as issuing.
    issue = paths["/api/v1/decisions/"]["post"]["requestBody"]["content"]["application/json"]
    assert issue["schema"] == {"$ref": "#/components/schemas/DecisionCreateRequest"}
    certificate = paths["/api/v1/certificates/{id}/pdf/"]["get"]["responses"]["200"]
    assert "application/pdf" in certificate["content"]
    schemas = document["components"]["schemas"]
    entry = schemas["DecisionEntry"]["properties"]
    assert entry["certificates"]["items"] == {"$ref": "#/components/schemas/Certificate"}
    assert set(schemas["Certificate"]["properties"]) == {
        "id",
        "register_number",
        "code",
        "status",
        "issued_at",
        "verify_url",
        "pdf",
        "signature",
    }
    assert schemas["Certificate"]["properties"]["signature"]["allOf"] == [
        {"$ref": "#/components/schemas/Signature"}
    ]
    assert schemas["Decision"]["properties"]["signature"]["allOf"] == [
        {"$ref": "#/components/schemas/Signature"}
    ]
    assert set(schemas["Signature"]["properties"]) == {
        "status",
        "source",
        "signer",
        "issuer",
        "signed_at",
        "problem",
    }
    upload = paths["/api/v1/decisions/{id}/signed-pdf/"]["post"]
    assert set(upload["requestBody"]["content"]) == {"multipart/form-data"}
    assert set(upload["responses"]) == {"201", "400", "401", "403", "404", "409", "429"}
    assert schemas["Certificate"]["properties"]["verify_url"]["format"] == "uri"
    assert schemas["Decision"]["properties"]["pdf"]["format"] == "uri"
    # Request bodies have their own components (COMPONENT_SPLIT_REQUEST).
    scores = schemas["EvaluationCreateRequest"]["properties"]["scores"]
    assert scores["additionalProperties"] == {"type": "number", "minimum": 0}
    assert "code" in scores["description"]
    listed = paths["/api/v1/notifications/"]["get"]["responses"]["200"]["content"]
    page = listed["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schemas[page]["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/Notification"
    }
    assert set(schemas["Notification"]["properties"]) == {
        "id",
        "kind",
        "subject",
        "body",
        "link",
        "read",
        "created_at",
    }
    assert "/api/schema/" not in paths
