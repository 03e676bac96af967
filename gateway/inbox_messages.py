"""The words ``<herald-inbox>`` says, in every catalog: written to
``gateway/static/herald-inbox-messages.js``, so the element speaks the page's language with no
request of its own. ``make i18n`` runs this after the catalogs change; a unit test checks the
file is current.

    python -m gateway.inbox_messages
"""

from __future__ import annotations

import json
from pathlib import Path

from babel.messages.extract import extract
from babel.messages.pofile import read_po

from backend.templates.i18n import LOCALE_DIR

STATIC = Path(__file__).parent / "static"
ELEMENT = STATIC / "herald-inbox.js"
OUTPUT = STATIC / "herald-inbox-messages.js"
HEADER = ("// Written by `python -m gateway.inbox_messages` (make i18n) from the catalogs in\n"
          "// backend/templates/locale: the words herald-inbox.js says, per language. "
          "Do not edit.\n")


def msgids() -> list[str]:
    """Every ``this._("...")`` of the element (the same calls ``pybabel extract`` reads)."""
    with ELEMENT.open("rb") as source:
        return sorted({str(found[1]) for found in extract("javascript", source,
                                                          keywords={"_": None})})


def catalogs() -> dict[str, dict[str, str]]:
    wanted = msgids()
    found: dict[str, dict[str, str]] = {}
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/herald.po")):
        with po.open("rb") as text:
            catalog = read_po(text)
        words = {}
        for msgid in wanted:
            message = catalog.get(msgid)
            if message is not None and message.string and not message.fuzzy:
                words[msgid] = str(message.string)
        found[po.parent.parent.name] = words
    return found


def source() -> str:
    body = json.dumps(catalogs(), ensure_ascii=False, indent=2, sort_keys=True)
    return f"{HEADER}export const MESSAGES = {body};\n"


if __name__ == "__main__":
    OUTPUT.write_text(source(), encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(msgids())} messages)")
