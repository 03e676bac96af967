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
        if name not in ("api", "gateway", "flower"):
            assert not service.get("ports"), f"{name} needs no published port"
