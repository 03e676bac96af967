"""What the servers underneath could do at most with the same data, in the same run: the
ingest stream's own entries appended again with pipelined XADDs, and notification rows
already stored loaded again into a table with the same columns and indexes, by COPY and by
multi-row INSERT. The pipeline's figures divided by these say how far from its floor it is."""

from __future__ import annotations

import io
import time
import uuid

import redis
from psycopg2.extras import Json, execute_values
from sqlalchemy import create_engine

from backend.notifications import stream

SCRATCH_STREAM = "bench:ceiling"
SCRATCH_TABLE = "bench_ceiling"
PIPELINE = 1000


def xadd_per_second(redis_url: str, count: int) -> float:
    client = redis.Redis.from_url(redis_url)
    sample = [fields for lane in stream.all_lanes(client, 1)
              for _, fields in client.xrange(lane, count=PIPELINE)][:PIPELINE]
    if not sample:
        sample = [{b"n": b"{}"}]
    begin = time.perf_counter()
    for start in range(0, count, PIPELINE):
        pipe = client.pipeline(transaction=False)
        for i in range(start, min(count, start + PIPELINE)):
            pipe.xadd(SCRATCH_STREAM, sample[i % len(sample)])
        pipe.execute()
    seconds = time.perf_counter() - begin
    client.delete(SCRATCH_STREAM)
    return count / seconds


def rows_per_second(database_url: str, tenant_id: str, limit: int = 20_000
                    ) -> dict[str, float]:
    """COPY and multi-row INSERT (1,000 rows a statement) of ``limit`` of one tenant's
    stored rows."""
    engine = create_engine(database_url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
        cur.execute(f"CREATE TABLE {SCRATCH_TABLE} (LIKE notifications INCLUDING DEFAULTS "
                    "INCLUDING INDEXES)")
        raw.commit()
        dump = io.StringIO()
        selection = (f"SELECT * FROM notifications WHERE tenant_id = '{uuid.UUID(tenant_id)}' "
                     f"LIMIT {int(limit)}")
        cur.copy_expert(f"COPY ({selection}) TO STDOUT", dump)
        cur.execute(selection)
        rows = [tuple(Json(v) if isinstance(v, dict | list) else v for v in row)
                for row in cur.fetchall()]
        dump.seek(0)
        begin = time.perf_counter()
        cur.copy_expert(f"COPY {SCRATCH_TABLE} FROM STDIN", dump)
        raw.commit()
        copy = len(rows) / (time.perf_counter() - begin)
        cur.execute(f"TRUNCATE {SCRATCH_TABLE}")
        raw.commit()
        begin = time.perf_counter()
        execute_values(cur, f"INSERT INTO {SCRATCH_TABLE} VALUES %s", rows, page_size=1000)
        raw.commit()
        insert = len(rows) / (time.perf_counter() - begin)
        cur.execute(f"DROP TABLE {SCRATCH_TABLE}")
        raw.commit()
        return {"rows": len(rows), "copy_rows_per_second": round(copy),
                "insert_rows_per_second": round(insert)}
    finally:
        raw.close()
        engine.dispose()
