"""An array's text for PostgreSQL's cast (``backend.db.arrays.array_text``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from backend.db.arrays import array_text


def test_ids_numbers_and_missing_values() -> None:
    one = uuid.UUID("6f1c2a3e-8d4b-4c1e-9a7f-0b2d3c4e5f60")
    # 32 hex digits, which PostgreSQL's uuid input reads as the hyphenated form.
    assert array_text([one, None]) == "{6f1c2a3e8d4b4c1e9a7f0b2d3c4e5f60,NULL}"
    assert array_text([1, 22, -3]) == "{1,22,-3}"


def test_times_keep_their_offset() -> None:
    at = datetime(2026, 11, 29, 14, 5, 6, 7, tzinfo=UTC)
    assert array_text([at]) == "{2026-11-29T14:05:06.000007+00:00}"


def test_no_values_is_an_empty_array() -> None:
    assert array_text([]) == "{}"
