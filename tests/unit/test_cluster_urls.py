"""Past one machine, Herald is told where its servers are by URL alone: Sentinel URLs for
Redis (every client, Celery's broker and the quota's store built from the one parser) and
several hosts for PostgreSQL."""

from __future__ import annotations

import socket

import pytest
from pydantic import ValidationError

from backend.core.config import Settings, database_url
from backend.core.redis import celery_broker, sentinel_target


def test_a_sentinel_url_names_the_sentinels_the_service_and_the_database():
    target = sentinel_target("redis+sentinel://:s%40cret@10.0.0.1:26379,10.0.0.2:26380/herald/2")
    assert target is not None
    assert target.sentinels == (("10.0.0.1", 26379), ("10.0.0.2", 26380))
    assert (target.service, target.password, target.db) == ("herald", "s@cret", 2)
    assert sentinel_target("redis+sentinel://h:1/herald").db == 0  # type: ignore[union-attr]
    assert sentinel_target("redis://localhost:6379/0") is None


@pytest.mark.parametrize("url", [
    "redis+sentinel://h:26379", "redis+sentinel://h:26379/", "redis+sentinel://h/herald",
    "redis+sentinel://h:26379/herald/x", "redis+sentinel://h:26379/a/1/2",
])
def test_a_broken_sentinel_url_is_refused_when_settings_load(url):
    with pytest.raises(ValidationError, match="HERALD_REDIS_URL"):
        Settings(redis_url=url)


def test_celery_uses_kombus_sentinel_transport_with_the_master_name():
    broker, options = celery_broker("redis+sentinel://:pw@a:26379,b:26379/herald/1")
    assert broker == "sentinel://:pw@a:26379/1;sentinel://:pw@b:26379/1"
    assert options["master_name"] == "herald"
    assert options["sentinel_kwargs"]["password"] == "pw"
    assert celery_broker("redis://x:6379/0")[0] == "redis://x:6379/0"


@pytest.mark.parametrize("url", ["redis+sentinel://a:26379/herald", "redis://x:6379/0"])
def test_the_brokers_connection_finds_a_cut_off_server_gone(url: str):
    """A partition sends no reset: the kernel's probes, a bound on unanswered data and kombu's
    check of an overdue BRPOP are what end a connection to a server that is cut off."""
    options = celery_broker(url)[1]
    assert options["socket_keepalive"] is True
    assert options["socket_keepalive_options"][socket.TCP_USER_TIMEOUT] == 10_000
    assert options["socket_keepalive_options"][socket.TCP_KEEPIDLE] == 2
    assert options["health_check_interval"] == 5


def test_a_sentinel_on_a_cut_off_host_is_given_up_on():
    """The Sentinels are asked on every reconnect; one that is cut off (often beside the old
    primary) must cost seconds, not the kernel's minutes or a read that never ends."""
    sentinels = celery_broker("redis+sentinel://:pw@a:26379,b:26379/herald")[1]["sentinel_kwargs"]
    assert sentinels["socket_timeout"] == sentinels["socket_connect_timeout"] == 3
    assert sentinels["socket_keepalive"] is True


def test_several_postgresql_hosts_as_libpq_writes_them():
    assert database_url("postgresql://u:p@/herald?host=a:5432,b:5433"
                        "&target_session_attrs=read-write") == (
        "postgresql+psycopg2://u:p@/herald?host=a:5432&host=b:5433"
        "&target_session_attrs=read-write")


def test_min_replicas_may_not_be_negative():
    with pytest.raises(ValidationError):
        Settings(redis_min_replicas=-1)


def test_one_offset_moves_every_default_port_and_leaves_a_set_one():
    moved = Settings(port_offset=100, api_port=9000)
    assert (moved.api_port, moved.gateway_port, moved.flower_port, moved.embedded_redis_port,
            moved.embedded_postgres_port) == (9000, 8101, 5655, 16479, 15532)


def test_a_statement_to_a_cut_off_postgresql_ends_before_a_tasks_time_limit():
    """Its packets unanswered, a statement waited for the kernel's minutes of retransmission,
    past the soft and hard time limits: the pool process was killed mid-write."""
    from backend.db.session import CONNECT_ARGS

    assert CONNECT_ARGS["tcp_user_timeout"] == 10_000
    idle_found_gone = (CONNECT_ARGS["keepalives_idle"]
                       + CONNECT_ARGS["keepalives_interval"] * CONNECT_ARGS["keepalives_count"])
    assert idle_found_gone <= 12
