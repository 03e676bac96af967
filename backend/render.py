"""Rendering notification text in Jinja2's sandbox: templates never reach Python internals."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment


class RenderError(Exception):
    """A template could not be compiled or rendered with the data given."""


@lru_cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@lru_cache(maxsize=4096)
def _compile(source: str):  # noqa: ANN202 - jinja2.Template
    return _environment().from_string(source)


def check_syntax(source: str) -> None:
    """Raise ValueError naming the line of the first syntax error."""
    try:
        _compile(source)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from exc


def render(source: str, data: dict[str, Any]) -> str:
    try:
        return _compile(source).render(**data)
    except TemplateError as exc:
        raise RenderError(str(exc)) from exc
