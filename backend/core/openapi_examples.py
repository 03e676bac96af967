"""Examples in an app's OpenAPI spec: one request body and one answer per operation, kept in
one table per app (``backend.api.examples``, ``gateway.examples``) and checked against the
operation's own schemas by a test, so they cannot drift."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

# (METHOD, path) -> {"request": body, "response": body of the first 2xx answer}
Examples = dict[tuple[str, str], dict[str, Any]]


def _json_content(part: dict[str, Any]) -> dict[str, Any] | None:
    content: dict[str, Any] | None = part.get("content", {}).get("application/json")
    return content


def add_examples(spec: dict[str, Any], examples: Examples) -> dict[str, Any]:
    for (method, path), example in examples.items():
        operation = spec["paths"][path][method.lower()]
        request = _json_content(operation.get("requestBody", {}))
        if request is not None and "request" in example:
            request["example"] = example["request"]
        success = next(code for code in operation["responses"] if code.startswith("2"))
        answer = _json_content(operation["responses"][success])
        if answer is not None and "response" in example:
            answer["example"] = example["response"]
    return spec


def install(app: FastAPI, examples: Examples) -> None:
    """The app's spec, made once, with the examples in it."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_examples(plain(), examples)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
