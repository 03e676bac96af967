"""The supervisord configuration herald up writes: every part restarted when it dies, the
crash-loop listener, and a stop that fits in Ctrl-C's 20 s."""

from __future__ import annotations

import configparser
from pathlib import Path

from backend.cli.embedded import EmbeddedRedis, EmbeddedServers
from backend.cli.supervise import PARTS, Supervisor


def parsed(tmp_path: Path, servers: EmbeddedServers) -> configparser.ConfigParser:
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(Supervisor(tmp_path, servers).config())
    return config


def test_every_part_is_restarted_and_stopped_in_time(tmp_path: Path):
    config = parsed(tmp_path, EmbeddedServers(None, None))
    for part in PARTS:
        program = config[f"program:{part}"]
        assert program["autorestart"] == "true" and program["autostart"] == "false"
        assert program["killasgroup"] == "true"  # a worker's pool goes with it
        assert int(program["stopwaitsecs"]) < 20
    assert config["group:herald"]["programs"].split(",") == list(PARTS)
    assert "PROCESS_STATE_EXITED" in config["eventlistener:fatal"]["events"]
    assert "program:redis" not in config and "program:postgres" not in config


def test_embedded_redis_runs_in_the_foreground_with_its_aof(tmp_path: Path):
    redis = EmbeddedRedis(tmp_path / "redis", 16999)
    command = parsed(tmp_path, EmbeddedServers(redis, None))["program:redis"]["command"]
    assert "--daemonize no" in command and "--appendonly yes" in command


def test_the_control_socket_needs_a_password(tmp_path: Path):
    config = parsed(tmp_path, EmbeddedServers(None, None))
    assert config["unix_http_server"]["chmod"] == "0700"
    assert config["unix_http_server"]["password"] == config["supervisorctl"]["password"]
