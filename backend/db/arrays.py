"""Many rows' values as arrays unnested side by side: one statement, compiled once, however
many rows a call brings (a VALUES list is compiled anew for every count)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Subquery, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine


def unnested(alias: str, **columns: TypeEngine[Any]) -> Subquery:
    """A subquery with one column per keyword, of that type; each column's values are bound
    as one array named after it plus ``s`` (``user_id`` from the parameter ``user_ids``),
    so no parameter shares the name of a column a statement writes."""
    return select(*(func.unnest(cast(bindparam(f"{name}s"), ARRAY(type_))).label(name)
                    for name, type_ in columns.items())).subquery(alias)
