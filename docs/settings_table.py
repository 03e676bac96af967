"""The configuration table (docs/CONFIGURATION.md), made from ``backend/core/config.py``:
every setting, its environment variable, default and the ``#:`` lines written above it
there (the one home of both).

    python -m docs.settings_table          # rewrite the table in docs/CONFIGURATION.md
    python -m docs.settings_table --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import json
import re
import socket
import sys
from pathlib import Path

from pydantic_core import PydanticUndefined

from backend.core import config
from backend.core.config import Settings

PAGE = Path(__file__).resolve().parent / "CONFIGURATION.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"
FIELD = re.compile(r"^    (\w+): ")


def docs() -> dict[str, str]:
    """Each field's documentation: the ``#:`` lines right above it in config.py."""
    found: dict[str, str] = {}
    block: list[str] = []
    for line in Path(config.__file__).read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#:"):
            block.append(stripped[2:].strip())
            continue
        if (match := FIELD.match(line)) and match.group(1) in Settings.model_fields:
            found[match.group(1)] = " ".join(block)
        block = []
    return found


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    if field.default_factory is socket.gethostname:
        return "the host name"
    value = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
    if value is PydanticUndefined or value is None:
        return "unset"
    return f"`{json.dumps(value) if isinstance(value, dict | list) else value}`"


def table() -> str:
    described = docs()
    rows = ["| variable | default | what it is |", "|---|---|---|"]
    for name in Settings.model_fields:
        text = described.get(name, "").replace("|", "\\|")
        rows.append(f"| `HERALD_{name.upper()}` | {_default(name)} | {text} |")
    return "\n".join(rows)


def rewritten(page: str) -> str:
    start, end = page.index(BEGIN) + len(BEGIN), page.index(END)
    return page[:start] + "\n" + table() + "\n" + page[end:]


def main() -> int:
    page = PAGE.read_text()
    fresh = rewritten(page)
    if "--check" in sys.argv:
        if fresh != page:
            print("docs/CONFIGURATION.md is out of date: run make docs", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
