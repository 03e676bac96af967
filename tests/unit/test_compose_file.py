"""docker-compose publishes only what a browser needs, and Flower never on every interface."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def test_flower_is_published_on_loopback_only_and_asks_for_a_login():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    flower = services["flower"]
    assert all(str(port).startswith("127.0.0.1:") for port in flower.get("ports", []))
    env = {**services["api"].get("environment", {}), **flower.get("environment", {})}
    assert "HERALD_FLOWER_PASSWORD" in str(env) or "HERALD_FLOWER_PASSWORD" in str(flower)
    for name, service in services.items():
        if name not in ("api", "gateway", "flower", "haproxy"):
            assert not service.get("ports"), f"{name} needs no published port"


def _services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def command_problems(command: str) -> list[str]:
    """What is wrong with a ``herald ...`` command line: an unknown subcommand or option."""
    import typer

    from backend.cli.main import app

    words = command.split("#")[0].split()
    if words[:1] != ["herald"]:
        return [f"{command!r} does not run herald"]
    group = typer.main.get_command(app)  # typer's own copy of click: duck-typed below
    problems: list[str] = []
    for word in words[1:]:
        if word.startswith("-"):
            names = {opt for p in group.params for opt in getattr(p, "opts", [])}
            if word.split("=")[0] not in names:
                problems.append(f"{command!r}: {word.split('=')[0]} is not an option")
        elif hasattr(group, "get_command"):
            found = group.get_command(None, word)
            if found is None:
                problems.append(f"{command!r}: {word!r} is not a herald command")
                break
            group = found
    return problems


def variable_problems(environment: dict[str, object]) -> list[str]:
    from backend.core.config import Settings

    known = {f"HERALD_{name.upper()}" for name in Settings.model_fields}
    return [f"{name} is not a setting" for name in environment
            if name.startswith("HERALD_") and name not in known]


def test_every_service_command_is_a_real_herald_command():
    commands = {name: s["command"] for name, s in _services().items()
                if str(s.get("command", "")).startswith("herald")}
    assert {"api", "gateway", "bridge", "worker", "outbound", "beat", "flower",
            "migrate"} <= set(commands)
    assert [p for c in commands.values() for p in command_problems(c)] == []


def test_every_variable_is_a_known_setting():
    for name, service in _services().items():
        assert variable_problems(service.get("environment") or {}) == [], name


def test_the_checks_catch_a_wrong_command_and_a_wrong_variable():
    assert command_problems("herald wroker") == [
        "'herald wroker': 'wroker' is not a herald command"]
    assert command_problems("herald worker --queue x") == [
        "'herald worker --queue x': --queue is not an option"]
    assert variable_problems({"HERALD_REDIS_URL": "x", "HERALD_REDIS_ULR": "y"}) == [
        "HERALD_REDIS_ULR is not a setting"]


def test_the_ha_profile_is_the_cluster_suites_shape():
    """Redis replica and three Sentinels, a PostgreSQL standby, a second gateway behind
    HAProxy; the Sentinel URL the file documents parses, and names the monitored service."""
    import re

    from backend.core.redis import sentinel_target

    services = _services()
    ha = {name for name, s in services.items() if "ha" in s.get("profiles", [])}
    assert ha == {"redis-replica", "sentinel-1", "sentinel-2", "sentinel-3",
                  "postgres-standby", "gateway-2", "haproxy"}
    text = COMPOSE.read_text()
    url = re.search(r"HERALD_REDIS_URL=(redis\+sentinel://\S+)", text)
    assert url, "the file shows the Sentinel URL to use"
    target = sentinel_target(url.group(1).replace("$REDIS_PASSWORD", "pw"))
    assert target is not None and len(target.sentinels) == 3
    sentinel_conf = (COMPOSE.parent / "docker" / "sentinel.conf").read_text()
    assert f"sentinel monitor {target.service} redis 6379 2" in sentinel_conf
    haproxy = (COMPOSE.parent / "docker" / "haproxy.cfg").read_text()
    assert "server gateway gateway:8001 check" in haproxy
    assert "server gateway-2 gateway-2:8001 check" in haproxy
