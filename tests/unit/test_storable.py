"""What no store can hold (NUL, lone surrogates, nesting past ``MAX_DEPTH``): the quick check
a worker makes of every entry agrees with the walk that names the place."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core import fast_json
from backend.core.validation import (
    MAX_DEPTH,
    _all_storable,
    _first_unstorable,
    find_unstorable,
    json_text_storable,
    unstorable,
)

TEXT = st.text(alphabet=st.sampled_from(["a", "é", "\x00", "\ud800", "\udfff", "z", "😀"]),
               max_size=4)
LEAF = st.one_of(TEXT, st.integers(), st.floats(allow_nan=False), st.none(), st.booleans())


def nested(depth: int) -> Any:
    """A value ``depth`` levels down: a list or an object around ``leaf``."""
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@settings(max_examples=400)
@given(st.recursive(LEAF, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(TEXT, inner, max_size=3), max_leaves=25))
def test_the_quick_check_agrees_with_the_walk(value: Any) -> None:
    assert _all_storable(value) == (_first_unstorable(value, "body") is None)
    assert unstorable(value, "body") == _first_unstorable(value, "body")


@settings(max_examples=400)
@given(st.recursive(LEAF, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(TEXT, inner, max_size=3), max_leaves=25),
       st.sampled_from(["fast_json", "ascii", "utf-8"]))
def test_judged_on_its_json_text_a_value_is_never_taken_for_storable_wrongly(
        value: Any, writer: str) -> None:
    import json

    text = (fast_json.dumps(value).decode(errors="surrogatepass") if writer == "fast_json"
            else json.dumps(value, ensure_ascii=writer == "ascii"))
    if json_text_storable(text):
        assert unstorable(json.loads(text), "entry") is None


def test_json_text_is_judged_without_the_walk_only_when_it_can_tell() -> None:
    plain = '{"title":"Grüße","data":{"a":[1,{"b":"[{"}]}}'
    assert json_text_storable(plain)
    for unsure in ('{"t":"\\u0000"}', '{"t":"\\ud800"}', '{"t":"\\u00e9"}',
                   '{"t":"\x00"}', "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)):
        assert not json_text_storable(unsure)
    deepest = fast_json.dumps(nested(MAX_DEPTH)).decode()
    assert json_text_storable(deepest)


def test_text_anywhere_is_found_and_named() -> None:
    entry = {"data": {"items": [{"note": "fine"}, {"note": "bad\x00"}]}, "title": "ok"}
    assert find_unstorable(entry, "entry") == "entry.data.items[1].note"
    assert find_unstorable({"data": {"k\ud800": 1}}, "entry") == "entry.data.k\ud800"
    assert find_unstorable(entry | {"data": {}}, "entry") is None


def test_depth_is_counted_as_the_walk_counts_it() -> None:
    assert find_unstorable(nested(MAX_DEPTH), "body") is None
    assert find_unstorable(nested(MAX_DEPTH + 1), "body") is not None
    empty_at_the_limit: Any = {}
    for _ in range(MAX_DEPTH):
        empty_at_the_limit = [empty_at_the_limit]
    assert find_unstorable(empty_at_the_limit, "body") is not None


def test_fast_json_reads_long_integers_exactly() -> None:
    raw = b'{"order": 123456789012345678901234567890, "n": -9223372036854775809}'
    assert fast_json.loads(raw) == {"order": 123456789012345678901234567890,
                                    "n": -9223372036854775809}
    assert fast_json.loads(b'{"n": 18446744073709551615}') == {"n": 18446744073709551615}


def test_fast_json_writes_what_the_standard_library_writes() -> None:
    import json

    frame = {"title": "Grüße \u2028 \"quoted\"", "data": {"a": [1, 2.5, None]}}
    assert fast_json.dumps(frame) == json.dumps(frame, separators=(",", ":"),
                                                ensure_ascii=False).encode()
    # What orjson refuses comes out as the standard library's ASCII, the same JSON value.
    for refused in ({"n": 2**70, "t": "é"}, {"t": "lone \ud800"}, {1: "integer key"}):
        assert fast_json.dumps(refused) == json.dumps(refused, separators=(",", ":")).encode()
