"""The push API's body, as workers send it: read in one pass, each fault named by its place."""

from __future__ import annotations

import pytest

from backend.core.errors import InvalidInput
from gateway.internal import MAX_ITEMS, parse_items

FRAME = {"type": "notification", "id": "n1", "seq": 1}


def test_items_become_push_items():
    items = parse_items({"items": [{"tenant_id": "t", "external_id": "ann", "frame": FRAME}]})
    assert [(i.reader, i.notification_id) for i in items] == [(("t", "ann"), "n1")]


@pytest.mark.parametrize("body, loc", [
    ([], ("body", "items")),
    ({"items": []}, ("body", "items")),
    ({"items": [None] * (MAX_ITEMS + 1)}, ("body", "items")),
    ({"items": ["x"]}, ("body", "items", 0)),
    ({"items": [{"tenant_id": 1, "external_id": "a", "frame": FRAME}]}, ("body", "items", 0)),
    ({"items": [{"tenant_id": "t", "external_id": "a", "frame": FRAME},
                {"tenant_id": "t", "external_id": "b", "frame": {"seq": 2}}]},
     ("body", "items", 1, "frame")),
])
def test_a_malformed_body_is_refused_naming_the_place(body: object, loc: tuple):
    with pytest.raises(InvalidInput) as refused:
        parse_items(body)
    assert refused.value.loc == loc
