"""The embedded Redis and PostgreSQL that `herald up` runs are not open to every local user:
both need a password that is kept 0600 in a 0700 data directory."""

from __future__ import annotations

import stat
from pathlib import Path

import psycopg2
import pytest
import redis

from tests.support.stack import Servers


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_redis_refuses_a_client_without_the_password(servers: Servers):
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=servers.redis_port).ping()
    assert redis.Redis.from_url(servers.redis_url(0)).ping()


def test_postgres_refuses_a_client_without_the_password(servers: Servers):
    port = int(servers.database_url.rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="herald",
                         connect_timeout=5)
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="herald",
                         password="guess", connect_timeout=5)


def test_data_directory_and_files_are_private(servers: Servers):
    # No one else may list or enter; as root, the PostgreSQL server's own group may pass
    # through the data folder to reach its cluster (0710).
    assert mode(servers.data_dir) & 0o067 == 0, oct(mode(servers.data_dir))
    assert mode(servers.data_dir / "redis") & 0o077 == 0
    secrets = [p for p in servers.data_dir.rglob("*password*")]
    assert secrets, "passwords are kept under the data directory"
    for path in secrets:
        assert mode(path) == 0o600, (path, oct(mode(path)))
    aof = [p for p in (servers.data_dir / "redis").rglob("*.aof")]
    assert aof
    for path in aof:
        assert mode(path) & 0o077 == 0, (path, oct(mode(path)))
