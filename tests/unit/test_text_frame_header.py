"""The gateway's own header for a text frame is the one websockets would write."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode

from gateway.direct_write import text_frame_header


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65_535, 65_536, 1_000_000])
def test_each_length_form_matches_websockets(length: int):
    payload = b"x" * length
    written = Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[])
    assert text_frame_header(length) + payload == written
