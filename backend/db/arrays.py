"""Many rows' values as arrays unnested side by side: one statement, compiled once, however
many rows a call brings (a VALUES list is compiled anew for every count)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Integer,
    String,
    Subquery,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
from sqlalchemy.types import TypeEngine

from backend.core import fast_json


def unnested(alias: str, **columns: TypeEngine[Any]) -> Subquery:
    """A subquery with one column per keyword, of that type; each column's values are bound
    as one array named after it plus ``s`` (``reader_id`` from the parameter ``reader_ids``),
    so no parameter shares the name of a column a statement writes. An array is bound as a
    list, or as its text (``array_text``), which PostgreSQL's cast reads the same."""
    return select(*(func.unnest(bound_array(type_, f"{name}s")).label(name)
                    for name, type_ in columns.items())).subquery(alias)


def bound_array(type_: TypeEngine[Any], key: str | None = None, value: str | None = None
                ) -> ColumnElement[Any]:
    """A parameter cast to an array of ``type_`` in SQL: bound as text, so its value may be
    a list or an array's text (``array_text``). Without ``value`` it is required when the
    statement runs; without ``key`` it is anonymous."""
    param = (bindparam(key, type_=Text()) if value is None
             else bindparam(key, value, type_=Text()))
    return cast(param, ARRAY(type_))


def array_text(values: Iterable[uuid.UUID | int | datetime | None]) -> str:
    """An array's text, ``{…,…}``, of values whose text needs no quoting (ids, numbers,
    times): the driver then quotes one string, where a list costs it a Python adapter call
    per value (2 µs a UUID or a time, 1 µs a number: a tenth of the worker's time). A UUID
    goes as its 32 hex digits, which PostgreSQL reads as well: ``str`` of a UUID takes
    twice as long, and arrays of ids were a twentieth of a worker storing notifications."""
    return "{" + ",".join(v.hex if isinstance(v, uuid.UUID) else "NULL" if v is None else
                          v.isoformat() if isinstance(v, datetime) else str(v)
                          for v in values) + "}"


def rows_of(table: Table, columns: Sequence[str]) -> Insert:
    """INSERT of many rows of ``table`` as unnested arrays (``as_arrays``): the values travel
    as one array per column, not as a parameter per value, which the client builds and
    sends at a fraction of the cost of a multi-row VALUES list. JSON travels as text (the
    driver has no array of JSON), and so do strings: a cast to VARCHAR(n) would cut a long
    one short where the insert refuses it."""
    rows = unnested(f"{table.name}_rows", **{
        c: Text() if isinstance(table.c[c].type, JSON | String) else table.c[c].type
        for c in columns})
    return insert(table).from_select(list(columns), select(*(
        cast(rows.c[c], table.c[c].type) if _is_json(table, c) else rows.c[c]
        for c in columns)))


def as_arrays(table: Table, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]
              ) -> dict[str, list[Any] | str]:
    """The parameters of ``rows_of``: each column's values in row order."""
    return {f"{c}s": [fast_json.dumps(row[c]).decode() for row in rows] if _is_json(table, c)
            else array_text(row[c] for row in rows) if _needs_no_quotes(table, c)
            else [row[c] for row in rows] for c in columns}


def _needs_no_quotes(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, Uuid | Integer | DateTime)


def _is_json(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, JSON)
