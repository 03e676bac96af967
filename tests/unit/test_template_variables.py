"""What a text needs from a send, known without rendering it (no servers)."""

from __future__ import annotations

import pytest

from backend.templates.render import plain_text
from backend.templates.variables import defaults, first_missing, needs, required, undeclared


def test_needs_names_top_level_data_and_reader_fields_not_locals_or_globals():
    need = needs("{% set x = 1 %}{{ x }} {{ order.id }} {{ reader.name }}"
                 "{% for i in range(n) %}{{ i }}{% endfor %}")
    assert need.data == {"order", "n"}
    assert need.reader == {"name"}
    assert needs("no syntax").data == frozenset()


@pytest.mark.parametrize(("title", "data", "expected"), [
    ("Hi {{ nme }}", {"name": "Ada"}, "t: undefined variable 'nme' (did you mean 'name'?)"),
    ("Hi {{ xyz }}", {"name": "Ada"}, "t: undefined variable 'xyz'"),
    ("Hi {{ name }}", {"name": "Ada"}, None),
    ("Hi {{ reader.nam }}", {}, "t: reader has no field 'nam' (did you mean 'name'?); "
     "a reader's fields are id, name, locale, timezone"),
])
def test_first_missing_names_the_field_and_the_nearest_name(title, data, expected):
    assert first_missing({"t": needs(title)}, data) == expected


def test_declared_defaults_and_required_variables():
    declared = {"n": {}, "unit": {"default": "items"}, "reader.name": {"default": "there"}}
    assert defaults(declared) == ({"unit": "items"}, {"name": "there"})
    assert required(declared) == {"n"}
    texts = {"title": needs("{{ n }} {{ unit }}")}
    assert first_missing(texts, {"n": 1}, declared) is None
    assert "'n' is required" in (first_missing({}, {}, declared) or "")
    assert undeclared({"title": "{{ n }} {{ cnt }}"}, declared) == (
        "title: variable 'cnt' is used but not declared in variables")
    assert "reader has no field 'nick'" in (undeclared({}, {"reader.nick": {}}) or "")


@pytest.mark.parametrize(("source", "expected"), [
    ("Hi {{ name }}, welcome", "Hi, welcome"),
    ("{% if a %}New{% endif %} mail {# note #}", "New mail"),
    ("{{ x }}", ""),
    ("Broken {{ x", "Broken x"),
])
def test_plain_text_never_shows_syntax(source, expected):
    assert plain_text(source) == expected
