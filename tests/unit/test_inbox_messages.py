"""<herald-inbox>'s words come from the catalogs: the generated file is current, and every
word the element says is translated in every catalog."""

from __future__ import annotations

from gateway import inbox_messages


def test_the_elements_messages_file_is_current():
    assert inbox_messages.OUTPUT.read_text(encoding="utf-8") == inbox_messages.source(), (
        "run `make i18n` (python -m gateway.inbox_messages)")


def test_every_word_of_the_element_is_in_every_catalog():
    wanted = set(inbox_messages.msgids())
    assert {"Inbox", "Mark all read", "{count} unseen"} <= wanted
    catalogs = inbox_messages.catalogs()
    assert sorted(catalogs) == ["ar", "de", "es", "fr", "ja", "pt_BR"]
    for lang, words in catalogs.items():
        assert set(words) == wanted, f"{lang} lacks {sorted(wanted - set(words))}"
        assert all("{count}" in words[m] for m in wanted if "{count}" in m), lang
