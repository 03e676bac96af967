"""Rendering templates in Jinja2's sandbox, with Babel filters in the reader's locale and
time zone. Templates never reach Python internals, files or arbitrary calls."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates, numbers
from jinja2 import (
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
    nodes,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from backend.templates.budget import (
    BudgetedSandbox,
    BudgetExceeded,
    Overrun,
    RenderError,
    budget,
    check_output,
)
from backend.templates.i18n import babel_locale

__all__ = ["BudgetExceeded", "Overrun", "RenderError", "budget", "check_syntax", "render"]


def _aware(value: Any, tz: ZoneInfo) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a date/time: {value!r}")
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(tz)


def _where(ctx: Context) -> tuple[Any, ZoneInfo]:
    return babel_locale(ctx.get("_locale", "en")), ZoneInfo(ctx.get("_timezone", "UTC"))


@pass_context
def _datetime(ctx: Context, value: Any, format: str = "medium") -> str:  # noqa: A002
    locale, tz = _where(ctx)
    return dates.format_datetime(_aware(value, tz), format, tzinfo=tz, locale=locale)


@pass_context
def _date(ctx: Context, value: Any, format: str = "medium") -> str:  # noqa: A002
    locale, tz = _where(ctx)
    return dates.format_date(_aware(value, tz), format, locale=locale)


@pass_context
def _time(ctx: Context, value: Any, format: str = "short") -> str:  # noqa: A002
    locale, tz = _where(ctx)
    return dates.format_time(_aware(value, tz), format, tzinfo=tz, locale=locale)


@pass_context
def _relative(ctx: Context, value: Any) -> str:
    locale, tz = _where(ctx)
    delta = _aware(value, tz) - datetime.now(tz)
    return dates.format_timedelta(delta, add_direction=True, locale=locale)


@pass_context
def _number(ctx: Context, value: Any) -> str:
    return numbers.format_decimal(Decimal(str(value)), locale=_where(ctx)[0])


@pass_context
def _currency(ctx: Context, value: Any, code: str) -> str:
    return numbers.format_currency(Decimal(str(value)), code, locale=_where(ctx)[0])


@pass_context
def _plural(ctx: Context, count: int, **forms: str) -> str:
    """``{{ n | plural(one="# message", few="# messages", other="# messages") }}``: the form
    the reader's language uses for ``n`` (CLDR categories), with ``#`` replaced by ``n``."""
    locale = _where(ctx)[0]
    form = forms.get(locale.plural_form(count)) or forms.get("other")
    if form is None:
        raise ValueError("plural needs at least an 'other' form")
    return form.replace("#", numbers.format_decimal(count, locale=locale))


FILTERS = {"datetime": _datetime, "date": _date, "time": _time, "relative": _relative,
           "number": _number, "currency": _currency, "plural": _plural}


@lru_cache(maxsize=2)
def _environment(autoescape: bool) -> SandboxedEnvironment:
    env = BudgetedSandbox(undefined=StrictUndefined, autoescape=autoescape)
    env.filters.update(FILTERS)
    return env


@lru_cache(maxsize=4096)
def _compile(source: str, autoescape: bool) -> Template:
    # Keyed by source: a template version's text never changes, so this caches per version.
    return _environment(autoescape).from_string(source)


@lru_cache(maxsize=4096)
def parse(source: str) -> nodes.Template:
    """The syntax tree of a template (checked sources only: raises on a syntax error)."""
    return _environment(False).parse(source)


GLOBALS = frozenset(_environment(False).globals)  # range, dict, ...: never the sender's data


def check_syntax(source: str) -> None:
    """Raise ValueError naming the line of the first syntax error, or of an attribute the
    sandbox would refuse anyway (``__class__``, ``_private``): refused at upload already."""
    try:
        tree = parse(source)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from exc
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        key = getattr(node, "arg", None)
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(key, "value", "")
        if isinstance(name, str) and name.startswith("_"):
            raise ValueError(f"unsafe attribute {name!r} on line {node.lineno}")


_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def plain_text(source: str) -> str:
    """The text of a template with its syntax taken out: what a reader sees when a render
    fails, never ``{{ name }}`` itself."""
    text = _SYNTAX.sub("", source)
    text = re.sub(r"[{}]+", "", text)  # a stray delimiter of an unfinished tag
    text = re.sub(r"[ \t]+([,.;:!?])", r"\1", text)  # "Hi {{ name }}, ..." -> "Hi, ..."
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def is_plain(source: str) -> bool:
    """No template syntax: the text renders as itself (Jinja would drop a trailing newline)."""
    return "{" not in source and not source.endswith("\n")


def render(source: str, data: dict[str, Any], locale: str = "en", timezone: str = "UTC",
           html: bool = False) -> str:
    """Render within the current ``budget``, or one of its own (size checked as the output
    grows)."""
    if not html and is_plain(source):
        check_output(len(source))
        return source
    try:
        with budget():
            return _render(source, data, locale, timezone, html)
    except RenderError:
        raise
    except (TemplateError, ValueError, TypeError, ArithmeticError, MemoryError,
            RecursionError) as exc:
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc


def _render(source: str, data: dict[str, Any], locale: str, timezone: str, html: bool) -> str:
    out: list[str] = []
    size = 0
    for chunk in _compile(source, html).generate(**data, _locale=locale, _timezone=timezone):
        size += len(chunk)
        check_output(size)
        out.append(chunk)
    return "".join(out)
