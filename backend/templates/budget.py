"""The budget of one render: a tenant's template is code, so what it may cost is bounded.

Jinja2's sandbox keeps templates away from Python internals; on top of it, the operators and
filters that can allocate without bound are checked before they run, ``range`` and every
operator and call check the deadline, and in a process's main thread an alarm interrupts
even a step that never comes back to the template (a loop with an empty body).
"""

from __future__ import annotations

import math
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jinja2.filters import FILTERS as DEFAULT_FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, safe_range

from backend.core.config import Settings
from backend.core.errors import HeraldError


class RenderError(HeraldError):
    """A template could not be compiled or rendered with the data given."""


class BudgetExceeded(RenderError):
    """A render went past its time or size budget."""


class Overrun(BudgetExceeded):
    """A render went past its time budget: it cost a worker that much time."""


OVERRUN = ("the template took longer than its render budget "
           "(HERALD_RENDER_TIMEOUT_SECONDS)")


# A budget for one render, the same in the API's preview and in the worker.
MAX_POWER_BITS = 4096  # ``**`` may not make a number larger than this
MAX_WIDTH = 1000  # widths and precisions in ``%`` formats, ``center``, ``indent``
_budget = threading.local()


def _check_size(n: int) -> None:
    limit = getattr(_budget, "max_chars", None) or _configured.max_chars
    if n > limit:
        raise BudgetExceeded(f"the result would be {n:,} characters; the render budget is "
                             f"{limit:,} (HERALD_MAX_RENDERED_CHARS)")


def _check_time() -> None:
    deadline = getattr(_budget, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise Overrun(OVERRUN)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _check_power(base: Any, exponent: Any) -> None:
    if not (_is_number(base) and _is_number(exponent)) or abs(base) <= 1 or exponent <= 0:
        return
    bits = float(exponent) * math.log2(abs(float(base)))
    if bits > MAX_POWER_BITS:
        raise BudgetExceeded(f"{base} ** {exponent} is too large for the render budget")


def _check_format(spec: str) -> None:
    for width in re.findall(r"%[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?", spec):
        for part in width:
            if part == "*" or (part.isdigit() and int(part) > MAX_WIDTH):
                raise BudgetExceeded(f"format width {part} is too large for the render budget")


class BudgetedSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, with the operators that can allocate without bound checked first,
    and the time budget checked at every operator, call and loop step."""

    intercepted_binops = frozenset(["**", "*", "%", "+"])

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters.update({name: _bounded_width(name)
                             for name in ("center", "indent", "wordwrap", "truncate")})
        self.filters["format"] = _format
        self.globals["range"] = _Range
        self.globals.pop("lipsum", None)  # lipsum(n=10**6) would write a book

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_time()
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    _check_size(len(seq) * times)
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
        elif operator == "+" and isinstance(left, str | list) and isinstance(right, str | list):
            _check_size(len(left) + len(right))
        return super().call_binop(context, operator, left, right)

    def call(self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_time()
        return super().call(__context, __obj, *args, **kwargs)


class _Range:
    """``range`` for templates: the sandbox's length bound, and the time budget per step."""

    def __init__(self, *args: int) -> None:
        self._range = safe_range(*args)

    def __len__(self) -> int:
        return len(self._range)

    def __iter__(self) -> Iterator[int]:
        for i in self._range:
            _check_time()
            yield i


def _bounded_width(name: str) -> Any:
    original = DEFAULT_FILTERS[name]

    def bounded(value: Any, width: Any = 80, *args: Any, **kwargs: Any) -> Any:
        if isinstance(width, int) and width > MAX_WIDTH:
            raise BudgetExceeded(f"{name} width {width} is too large for the render budget")
        return original(value, width, *args, **kwargs)

    return bounded


def _format(value: str, *args: Any, **kwargs: Any) -> str:
    _check_format(str(value))
    return str(DEFAULT_FILTERS["format"](value, *args, **kwargs))


def check_output(size: int) -> None:
    """Called as a render's output grows: its size so far, and the time."""
    _check_size(size)
    _check_time()


@dataclass(frozen=True)
class Budget:
    seconds: float = 1.0
    max_chars: int = 256 * 1024


_configured = Budget()


def render_budget(settings: Settings) -> Budget:
    return Budget(settings.render_timeout_seconds, settings.max_rendered_chars)


def configure(limits: Budget) -> None:
    """This process's budget per render (entry points call this with their settings)."""
    global _configured
    _configured = limits


@contextmanager
def budget(seconds: float | None = None) -> Iterator[None]:
    """Bound every render inside (to ``seconds``, or this process's budget): time checked at
    each step, and, in a process's main thread, an alarm that interrupts even a step that
    never returns to the template. Re-entrant: an inner ``budget`` shares the outer one's."""
    if getattr(_budget, "deadline", None) is not None:
        yield
        return
    limits = _configured
    seconds = limits.seconds if seconds is None else seconds
    _budget.deadline, _budget.max_chars = time.monotonic() + seconds, limits.max_chars
    alarm = threading.current_thread() is threading.main_thread()
    previous = _install_alarm() if alarm else None
    if alarm:
        signal.setitimer(signal.ITIMER_REAL, seconds * 1.5)
    try:
        yield
    finally:
        # Ended whatever arrives meanwhile: this render's alarm may go off here (its handler
        # runs at the first instruction that checks for signals, say right after disarming),
        # and a deadline left set would stop every later render of the process. Inline, not
        # a function: a call's entry checks for signals before any ``try`` inside it.
        while True:
            try:
                if alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    if previous is not None:
                        signal.signal(signal.SIGALRM, previous)
                _budget.deadline = None
                break
            except Overrun:
                continue  # the alarm of the render just ended: nothing left to stop


def _install_alarm() -> Any:
    """Our SIGALRM handler in place; returns the handler to put back after the render, or
    None to leave ours (when nobody else had one: a disarmed timer never calls it), which
    spares two system calls per render."""
    current = signal.getsignal(signal.SIGALRM)
    if current is _alarm:
        return None
    signal.signal(signal.SIGALRM, _alarm)
    return None if current in (signal.SIG_DFL, None) else current


def _alarm(_signum: int, _frame: object) -> None:
    if getattr(_budget, "deadline", None) is not None:  # a late alarm finds no render
        raise Overrun(OVERRUN)
