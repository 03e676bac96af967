"""What a text needs from a send: the variables it refers to, known before anything renders.

A reader must never see template syntax. Every render is strict (an undefined variable is an
error), so a send whose text refers to a variable that neither its ``data``, the reader's
own fields (``reader.name``, ...) nor a declared default can give is refused at the door,
naming the variable, where it is used, and the nearest name it might have meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import meta, nodes

from backend.templates.render import GLOBALS, is_plain, parse

# What ``{{ reader.<field> }}`` may name: the reader's profile as the product keeps it.
READER = "reader"
READER_FIELDS = ("id", "name", "locale", "timezone")
_CONTEXT = GLOBALS | {READER, "_locale", "_timezone"}  # given by Herald, never by data


@dataclass(frozen=True)
class Needs:
    """The top-level data variables a text refers to, and the reader fields it reads."""

    data: frozenset[str]
    reader: frozenset[str]


_NOTHING = Needs(frozenset(), frozenset())


@lru_cache(maxsize=8192)
def needs(source: str | None) -> Needs:
    if not source or is_plain(source):
        return _NOTHING
    tree = parse(source)
    data = frozenset(meta.find_undeclared_variables(tree)) - _CONTEXT
    fields = frozenset(
        node.attr for node in tree.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name == READER)
    return Needs(data, fields)


def uses_reader(sources: Iterable[str | None]) -> bool:
    """Whether a render depends on who reads it (not only their language and time zone)."""
    return any(needs(source).reader for source in sources)


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def reader_field_error(fields: Iterable[str]) -> str | None:
    """Why a text's ``reader.<field>`` cannot work, or None."""
    for name in sorted(fields):
        if name not in READER_FIELDS:
            return (f"reader has no field {name!r}{_suggest(name, READER_FIELDS)}; "
                    f"a reader's fields are {', '.join(READER_FIELDS)}")
    return None


def first_missing(texts: Mapping[str, Needs], given: Iterable[str],
                  declared: Mapping[str, Any] | None = None) -> str | None:
    """``field: undefined variable 'x' (did you mean 'y'?)`` for the first text that refers
    to a variable neither ``given`` nor a declared default has (or a declared variable with
    no default that ``given`` lacks), or None when every text can render."""
    given = set(given)
    known = given | set(defaults(declared)[0])
    for where, need in texts.items():
        for name in sorted(need.data - known):
            return f"{where}: undefined variable {name!r}{_suggest(name, known)}"
        if (problem := reader_field_error(need.reader)) is not None:
            return f"{where}: {problem}"
    for name in sorted(required(declared) - given):
        return f"variables: {name!r} is required by the template and missing from data"
    return None


def required(declared: Mapping[str, Any] | None) -> set[str]:
    """Declared data variables without a default: every send must give them."""
    return {name for name, spec in (declared or {}).items()
            if not name.startswith(f"{READER}.")
            and not (isinstance(spec, Mapping) and "default" in spec)}


def undeclared(texts: Mapping[str, str | None], declared: Mapping[str, Any]) -> str | None:
    """For a template that declares its variables: the first it uses without declaring, or
    a declared reader field that does not exist."""
    fields = {name.removeprefix(f"{READER}.") for name in declared
              if name.startswith(f"{READER}.")}
    if (problem := reader_field_error(fields)) is not None:
        return f"variables: {problem}"
    for where, source in texts.items():
        for name in sorted(needs(source).data - set(declared)):
            return (f"{where}: variable {name!r} is used but not declared in variables"
                    f"{_suggest(name, declared)}")
    return None


def defaults(declared: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The declared defaults: of data variables, and of reader fields (``reader.name``)."""
    data: dict[str, Any] = {}
    reader: dict[str, Any] = {}
    for name, spec in (declared or {}).items():
        if isinstance(spec, Mapping) and "default" in spec:
            if name.startswith(f"{READER}."):
                reader[name.removeprefix(f"{READER}.")] = spec["default"]
            else:
                data[name] = spec["default"]
    return data, reader
