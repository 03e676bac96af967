"""The embedded PostgreSQL that `herald up` runs takes every part's connections at once."""

from __future__ import annotations

import psycopg2
from sqlalchemy.engine import make_url

from tests.support.stack import Servers

# More than PostgreSQL's default of 100, which the parts' pools (up to 20 a process: the
# API, the gateway, each worker process, the outbound worker, bridge, beat) could exhaust.
AT_ONCE = 150


def test_the_embedded_postgresql_takes_more_than_its_default_100_connections(servers: Servers):
    url = make_url(servers.database_url)
    held = []
    try:
        for _ in range(AT_ONCE):
            held.append(psycopg2.connect(host=url.host, port=url.port, user=url.username,
                                         password=url.password, dbname=url.database,
                                         connect_timeout=5))
        with held[-1].cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                        "'client backend'")
            assert cur.fetchone()[0] >= AT_ONCE
    finally:
        for conn in held:
            conn.close()
