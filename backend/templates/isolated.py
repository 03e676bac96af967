"""A template preview runs in a child process of its own: a tenant's template that would
spin or allocate without end is stopped there (time budget, alarm, memory limit, and a kill
at the deadline), and the API process that asked never stalls."""

from __future__ import annotations

import multiprocessing
import resource
from multiprocessing.connection import Connection
from typing import Any

from backend.templates import budget, render

MEMORY_BYTES = 1024 * 1024 * 1024  # address space of the child
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["backend.templates.render", "backend.templates.budget"])


def _child(conn: Connection, fields: dict[str, str | None], data: dict[str, Any], locale: str,
           timezone: str, limits: budget.Budget) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    budget.configure(limits)
    try:
        conn.send(("ok", render_fields(fields, data, locale, timezone)))
    except budget.RenderError as exc:
        conn.send(("error", exc.__notes__[0] if getattr(exc, "__notes__", None) else "",
                   str(exc)))
    except MemoryError:
        conn.send(("error", "", "the template needs more memory than its render budget"))


def render_fields(fields: dict[str, str | None], data: dict[str, Any], locale: str,
                  timezone: str) -> dict[str, str | None]:
    """Every field rendered within one budget; a RenderError notes which field failed."""
    rendered: dict[str, str | None] = {}
    with budget.budget():
        for name, source in fields.items():
            try:
                rendered[name] = None if source is None else render.render(
                    source, data, locale, timezone, html=name == "email_html")
            except budget.RenderError as exc:
                exc.add_note(name)
                raise
    return rendered


def render_apart(fields: dict[str, str | None], data: dict[str, Any], locale: str,
                 timezone: str, limits: budget.Budget) -> dict[str, str | None]:
    """``render_fields`` in a child process, killed if it outlives its budget."""
    receiver, sender = _context.Pipe(duplex=False)
    child = _context.Process(target=_child, daemon=True,
                             args=(sender, fields, data, locale, timezone, limits))
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds * 2 + 5):
            raise budget.Overrun(budget.OVERRUN)
        try:
            answer = receiver.recv()
        except EOFError:  # the child died: out of memory, most likely
            raise budget.BudgetExceeded("the template needs more than its render budget") from None
        if answer[0] == "ok":
            return dict(answer[1])
        error = budget.RenderError(answer[2])
        error.add_note(answer[1] or "template")
        raise error
    finally:
        child.kill()
        child.join(5)
        receiver.close()
