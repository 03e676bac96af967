"""Validation shared by every request body: strict models, and the fields many of them use."""

from __future__ import annotations

import re
import zoneinfo
from datetime import time
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def check_locale(value: str) -> str:
    try:
        Locale.parse(value.replace("-", "_"))
    except (ValueError, UnknownLocaleError) as exc:
        raise ValueError(f"unknown locale {value!r}") from exc
    return value


def check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def check_email(value: str) -> str:
    """Exactly one bare address (no list, no display name, no header injection), by the
    syntax rules of ``email-validator``; deliverability is the SMTP server's business."""
    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"not a single email address: {exc}") from exc
    return value


def check_local_time(value: time) -> time:
    """Quiet hours are wall-clock times in the reader's own time zone: no offset of their own."""
    if value.tzinfo is not None:
        raise ValueError("give a time without an offset: quiet hours are read in the reader's "
                         "time zone")
    return value


# A product's user id: no surrounding spaces, no control characters.
USER_ID_PATTERN = r"^[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
USER_ID_MAX_LENGTH = 200
UserId = Annotated[str, Field(min_length=1, max_length=USER_ID_MAX_LENGTH,
                              pattern=USER_ID_PATTERN)]


# Text no store can hold: NUL (PostgreSQL refuses it) and lone surrogates (not Unicode
# scalar values: UTF-8 cannot encode them, so Redis, PostgreSQL and JSON writers fail).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable_text(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def is_user_id(value: object) -> bool:
    """The ``UserId`` rule, for values that do not come through a schema (a token's ``sub``)."""
    return (isinstance(value, str) and len(value) <= USER_ID_MAX_LENGTH
            and re.fullmatch(USER_ID_PATTERN, value) is not None and is_storable_text(value))
LocaleTag = Annotated[str, Field(max_length=35), AfterValidator(check_locale)]
TimeZone = Annotated[str, AfterValidator(check_timezone)]
Email = Annotated[str, Field(max_length=320), AfterValidator(check_email)]
LocalTime = Annotated[time, AfterValidator(check_local_time)]
MAX_DEPTH = 32  # levels of nesting a body's values may have (data, payloads)


def unstorable(value: Any, where: str) -> tuple[str, str] | None:
    """The first place in ``value`` no store can hold, with why: text with a lone surrogate or
    NUL, or nesting deeper than ``MAX_DEPTH``. Checked quickly first; the place is named
    only when there is one (every request body and every entry a worker takes come here)."""
    return None if _all_storable(value) else _first_unstorable(value, where)


def _first_unstorable(value: Any, where: str) -> tuple[str, str] | None:
    """``unstorable``'s answer, naming each place as it walks (without recursion: a hostile
    depth cannot exhaust the stack)."""
    stack: list[tuple[str, Any, int]] = [(where, value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, str):
            if not is_storable_text(item):
                return path, ("text must be valid Unicode without NUL characters (a lone "
                              "surrogate such as \\ud800 is not a character)")
            continue
        if isinstance(item, dict | list) and depth >= MAX_DEPTH:
            return path, f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(item, dict):
            children = [(f"{path}.{k}", v) for k, v in item.items()]
            children = [(f"{path}.{k}", k) for k in item] + children
        elif isinstance(item, list):
            children = [(f"{path}[{i}]", v) for i, v in enumerate(item)]
        else:
            continue
        stack.extend((p, v, depth + 1) for p, v in reversed(children))
    return None


def _all_storable(value: Any) -> bool:
    """True when ``_first_unstorable`` would find nothing: the same walk, level by level,
    without naming places, and one search over all the text at once. Naming every place as it
    went was a sixth of a worker storing notifications (py-spy, ``bench.online``)."""
    texts: list[Any] = []
    level: list[Any] = [value]
    for depth in range(MAX_DEPTH + 1):
        below: list[Any] = []
        containers = 0
        for item in level:
            if isinstance(item, str):
                texts.append(item)
            elif isinstance(item, dict):
                containers += 1
                texts.extend(item)
                below.extend(item.values())
            elif isinstance(item, list):
                containers += 1
                below.extend(item)
        if containers and depth == MAX_DEPTH:
            return False  # a container at the depth where none may be
        if not below:
            break
        level = below
    try:
        # Joined, no two texts make one character: a lone surrogate stays a code point.
        return is_storable_text("".join(texts))
    except TypeError:
        return False  # a key that is not text: the full walk judges


def json_text_storable(text: str) -> bool:
    """True when every value JSON ``text`` decodes to is surely storable (``unstorable``
    finds nothing), judged on the text alone; False when only the walk can tell. Without a
    ``\\u`` escape no value holds a character the text does not, and fewer brackets than
    ``MAX_DEPTH`` cannot nest that deep: a worker judges each entry it takes this way, at a
    tenth of the walk's cost."""
    return ("\\u" not in text and text.count("{") + text.count("[") <= MAX_DEPTH
            and is_storable_text(text))


def find_unstorable(value: Any, where: str) -> str | None:
    """Where ``unstorable`` finds a problem, or None."""
    found = unstorable(value, where)
    return found[0] if found else None


class Strict(BaseModel):
    """Request bodies: unknown fields, NUL characters and lone surrogates (no store can hold
    them) are refused with the field named."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if (found := unstorable(value, "body")) is not None:
            raise ValueError(f"{found[0]}: {found[1]}")
        return value
