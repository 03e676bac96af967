"""The README's configuration table lists every setting, as config.py documents it."""

from __future__ import annotations

from backend.core.config import Settings
from docs.settings_table import README, docs, rewritten


def test_every_setting_is_documented_in_config():
    undocumented = [name for name, text in docs().items() if not text]
    assert undocumented == []
    assert set(docs()) == set(Settings.model_fields)


def test_the_readme_lists_every_setting_as_config_documents_it():
    readme = README.read_text()
    for name in Settings.model_fields:
        assert f"`HERALD_{name.upper()}`" in readme, name
    assert rewritten(readme) == readme, "README.md's settings table is stale: run make docs"
