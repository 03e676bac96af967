"""Text with no template syntax is shown as itself without running Jinja: the shortcut must
give exactly what Jinja gives, and never be taken for text Jinja would change."""

from __future__ import annotations

import pytest

from backend.templates.budget import Budget, BudgetExceeded, configure
from backend.templates.render import _render, is_plain, render

PLAIN = ["Deploy finished", "", "  spaces kept  ", "<b>not escaped in-app</b> & co",
         "Zürich → 東京 🎉", "line one\nline two", "100% } done", "trailing\n\n ok"]
NOT_PLAIN = ["Hi {{ name }}", "{% if x %}y{% endif %}", "{# note #}", "ends with newline\n",
             "a lone { brace"]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_renders_as_jinja_renders_it(text: str):
    assert is_plain(text)
    assert render(text, {}) == _render(text, {}, "en", "UTC", False) == text


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_text_jinja_might_change_is_not_plain(text: str):
    assert not is_plain(text)


def test_plain_text_still_keeps_the_size_budget():
    configure(Budget(seconds=1.0, max_chars=10))
    try:
        assert render("x" * 10, {}) == "x" * 10
        with pytest.raises(BudgetExceeded):
            render("x" * 11, {})
    finally:
        configure(Budget())
