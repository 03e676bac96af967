"""Locale negotiation: override, reader, tenant, then English, each with its parents."""

from __future__ import annotations

import pytest

from backend.templates.i18n import negotiation_chain, normalize


def test_chain_goes_from_most_to_least_specific_without_repeats():
    assert negotiation_chain("pt_br", "de-AT", "pt") == ["pt-BR", "pt", "de-AT", "de", "en"]


def test_unknown_or_missing_tags_are_skipped():
    assert negotiation_chain(None, "xx-nonsense", "", "ja") == ["ja", "en"]


def test_normalize_refuses_an_unknown_locale():
    assert normalize("ZH_hant_tw") == "zh-Hant-TW"
    with pytest.raises(ValueError, match="unknown locale"):
        normalize("not a locale")
