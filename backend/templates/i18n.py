"""Locales: BCP 47 tags, the negotiation chain, and Herald's own translated strings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "herald"
FALLBACK = "en"


def normalize(tag: str) -> str:
    """``pt_br`` / ``PT-br`` -> ``pt-BR``; raises ValueError for an unknown locale."""
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError) as exc:
        raise ValueError(f"unknown locale {tag!r}") from exc
    return str(locale).replace("_", "-")


def _with_parents(tag: str) -> list[str]:
    """``zh-Hant-TW`` -> ``zh-Hant-TW``, ``zh-Hant``, ``zh`` (BCP 47 truncation)."""
    parts = tag.split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def negotiation_chain(*preferred: str | None) -> list[str]:
    """The notification's override, the reader's locale, the tenant's default, then ``en``,
    each followed by its parents, without repeats."""
    return list(_chain(preferred))


@lru_cache(maxsize=4096)  # a worker asks again for every notification of the same readers
def _chain(preferred: tuple[str | None, ...]) -> tuple[str, ...]:
    chain: list[str] = []
    for tag in (*preferred, FALLBACK):
        if not tag:
            continue
        try:
            tag = normalize(tag)
        except ValueError:
            continue
        for candidate in _with_parents(tag):
            if candidate not in chain:
                chain.append(candidate)
    return tuple(chain)


def babel_locale(tag: str) -> Locale:
    return Locale.parse(tag.replace("-", "_"))


def is_rtl(tag: str) -> bool:
    return babel_locale(tag).character_order == "right-to-left"


@lru_cache(maxsize=64)
def translations(tag: str) -> NullTranslations:
    """Herald's own strings (digest, fallback subjects) in ``tag``, or English."""
    locales = [t.replace("-", "_") for t in negotiation_chain(tag)]
    return Translations.load(str(LOCALE_DIR), locales, DOMAIN)


def ngettext(tag: str, singular: str, plural: str, count: int, **values: object) -> str:
    return translations(tag).ngettext(singular, plural, count) % {"num": count, **values}


def gettext(tag: str, message: str, **values: object) -> str:
    return translations(tag).gettext(message) % values if values else \
        translations(tag).gettext(message)
