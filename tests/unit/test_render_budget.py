"""The render budget: what a template may allocate and how long it may run (no servers)."""

from __future__ import annotations

import time

import pytest

from backend.templates import budget
from backend.templates.render import RenderError, render


@pytest.fixture(autouse=True)
def short_budget():
    budget.configure(budget.Budget(seconds=0.3, max_chars=10_000))
    yield
    budget.configure(budget.Budget())


@pytest.mark.parametrize(("source", "words"), [
    ("{{ n ** (n ** 7) }}", "too large"),
    ("{{ 'x' * 10 ** 8 }}", "characters"),
    ("{{ [1] * 10 ** 8 }}", "characters"),
    ("{% for i in range(99) %}{{ 'y' * 999 }}{% endfor %}", "characters"),
    ("{{ '%0999999d' % 1 }}", "width"),
    ("{{ '%*d' % (9999999, 1) }}", "width"),
    ("{{ 'x'|center(10 ** 7) }}", "width"),
    ("{{ '%0999999d'|format(1) }}", "width"),
    ("{{ range(10 ** 9)|list }}", "range"),
])
def test_allocations_past_the_budget_are_refused_before_they_happen(source: str, words: str):
    started = time.monotonic()
    with pytest.raises(budget.BudgetExceeded, match=words) if words != "range" else \
            pytest.raises(RenderError):
        render(source, {"n": 9})
    assert time.monotonic() - started < 0.3


@pytest.mark.parametrize("source", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}",
])
def test_loops_past_the_deadline_are_stopped(source: str):
    started = time.monotonic()
    with pytest.raises(budget.Overrun, match="HERALD_RENDER_TIMEOUT_SECONDS"):
        render(source, {"s": "x" * 2000})
    assert time.monotonic() - started < 2


def test_honest_templates_render_as_before():
    source = "{{ n ** 2 }} {{ 'ab' * 3 }} {{ '%5d' % 7 }} {{ range(3)|list }} {{ items|length }}"
    assert render(source, {"n": 12, "items": [1, 2]}) == "144 ababab     7 [0, 1, 2] 2"


def test_an_inner_budget_shares_the_outer_deadline():
    with budget.budget(0.2), pytest.raises(budget.Overrun):
        render("ok", {})
        render("{% for i in range(100000) %}{% for j in range(9999) %}{% endfor %}{% endfor %}", {})


def test_a_short_budget_for_one_render():
    started = time.monotonic()
    with budget.budget(0.05), pytest.raises(budget.Overrun):
        render("{% for i in range(100000) %}{% for j in range(9999) %}{% endfor %}{% endfor %}", {})
    assert time.monotonic() - started < 0.3


def test_an_alarm_arriving_as_the_render_ends_does_not_spoil_the_next_renders(monkeypatch):
    """A render stopped at its deadline that takes a while to unwind (freeing what a bomb
    built, in C) lets the render's alarm go off meanwhile: Python runs the handler at the
    next instruction that checks for signals, which may be right after ``budget`` disarms
    the timer. Found in CI: the deadline was then left set, and every later render of that
    worker process failed at once, for every tenant, until the process was replaced."""
    disarm, alarms = budget.signal.setitimer, [1]

    def alarm_just_after_disarming(which: int, seconds: float, *interval: float) -> object:
        answer = disarm(which, seconds, *interval)
        if seconds == 0 and alarms:
            alarms.pop()  # the render's one alarm: its pending handler runs here
            budget._alarm(budget.signal.SIGALRM, None)
        return answer

    monkeypatch.setattr(budget.signal, "setitimer", alarm_just_after_disarming)
    with pytest.raises(budget.Overrun), budget.budget(0.05):
        render("{% for i in range(100000) %}{% for j in range(9999) %}{% endfor %}{% endfor %}", {})
    monkeypatch.setattr(budget.signal, "setitimer", disarm)
    assert render("Hi {{ name }}", {"name": "Ada"}) == "Hi Ada"
