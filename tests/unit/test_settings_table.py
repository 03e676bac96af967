"""docs/CONFIGURATION.md lists every setting, as config.py documents it."""

from __future__ import annotations

from backend.core.config import Settings
from docs.settings_table import PAGE, docs, rewritten


def test_every_setting_is_documented_in_config():
    undocumented = [name for name, text in docs().items() if not text]
    assert undocumented == []
    assert set(docs()) == set(Settings.model_fields)


def test_the_configuration_page_lists_every_setting_as_config_documents_it():
    page = PAGE.read_text()
    for name in Settings.model_fields:
        assert f"`HERALD_{name.upper()}`" in page, name
    assert rewritten(page) == page, "docs/CONFIGURATION.md is stale: run make docs"
