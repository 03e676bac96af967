"""Metrics an operator can graph: each part exports the counters of its own work, one per
outcome, and nothing of another part's (a gauge that is always 0 there misleads a graph)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import redis
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_dead_letter_isolation import listed, poison
from tests.support.api import send
from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and want <= found)


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


class Parts:
    def __init__(self, stack: Stack) -> None:
        self.urls = {"api": f"{stack.api_url}/metrics", "gateway": f"{stack.gateway_url}/metrics",
                     "worker": stack.worker_metrics_url, "outbound": stack.outbound_metrics_url}

    def now(self) -> dict[str, Samples]:
        return {part: scrape(url) for part, url in self.urls.items()}


@contextmanager
def counted(parts: Parts) -> Iterator[dict[str, Samples]]:
    """The counters before; filled with the increase of each series after."""
    before = parts.now()
    grown: dict[str, Samples] = {}
    yield grown
    for part, after in parts.now().items():
        grown[part] = {key: value - before[part].get(key, 0) for key, value in after.items()}


def profile(api: httpx.Client, user: str, **fields: str) -> None:
    assert api.put(f"/v1/users/{user}", json=fields).status_code == 200


def status(api: httpx.Client, nid: str) -> str:
    return str(api.get(f"/v1/notifications/{nid}").json()["status"])


def settled(api: httpx.Client, nid: str, *statuses: str) -> None:
    wait_until(lambda: status(api, nid) in statuses, 60, f"{nid} to reach {statuses}")


async def test_a_journey_counts_once_per_outcome_in_the_part_that_did_it(
        api: httpx.Client, stack: Stack, tenant: TenantKeys):
    parts = Parts(stack)
    token = lambda user: token_for(stack.api_url, tenant.secret_key, user)  # noqa: E731
    with counted(parts) as grown:
        live = await connect(stack.ws_url, tenant.publishable_key, token("online"), since=0)
        send(api, "online", "While you look", priority="high")
        await live.next_of("notification")
        await live.close()

        later = send(api, "later", "While you were away")["id"]
        wait_until(lambda: api.get(f"/v1/notifications/{later}").json()["attempts"], 30,
                   "the first in-app attempt to find nobody")
        back = await connect(stack.ws_url, tenant.publishable_key, token("later"), since=0)
        assert (await back.next_of("notification"))["id"] == later
        await back.close()

        profile(api, "away", email="away@example.test")
        mailed = send(api, "away", "By email", channels=["in_app", "email"])["id"]
        unreachable = send(api, "nowhere", "No address", channels=["in_app", "email"])["id"]
        settled(api, mailed, "fallback_sent")
        settled(api, unreachable, "failed")

        client = redis.Redis.from_url(stack.env["HERALD_REDIS_URL"])
        poison(client, tenant.tenant_id, 1)
        wait_until(lambda: len(listed(stack, tenant.secret_key)) == 1, 60,
                   "the bad entry to become a dead letter")

    api_, gateway, worker, outbound = (grown["api"], grown["gateway"], grown["worker"],
                                       grown["outbound"])
    assert total(api_, "herald_notifications_accepted_total", priority="high") >= 1
    assert total(api_, "herald_notifications_accepted_total", priority="normal") >= 3
    assert total(worker, "herald_notifications_stored_total") >= 4
    assert total(worker, "herald_pushes_total", outcome="delivered") >= 1
    assert total(worker, "herald_pushes_total", outcome="offline") >= 1
    assert total(worker, "herald_in_app_retries_total", priority="normal") >= 1
    # Email is sent by the outbound worker, apart from delivery.
    assert total(outbound, "herald_fallbacks_total", channel="email", outcome="sent") >= 1
    assert total(outbound, "herald_fallbacks_total", channel="email", outcome="skipped") >= 1
    # Failed where the chain ended: here after its email step, so in the outbound worker.
    assert total(outbound, "herald_notifications_failed_total", priority="normal") >= 1
    assert total(worker, "herald_dead_letters_total") >= 1
    assert total(worker, "herald_batch_stage_seconds_count", stage="persist") >= 4
    assert total(gateway, "herald_delivered_total", path="live", priority="high") >= 1
    assert total(gateway, "herald_delivered_total", path="replay", priority="normal") >= 1
    assert total(gateway, "herald_delivery_seconds_count", path="live") >= 1


def test_each_part_exports_only_its_own(stack: Stack):
    parts = Parts(stack).now()
    gateway_only = {n for n in names(parts["gateway"]) if n.startswith("herald_gateway_")}
    assert gateway_only, "the gateway exports its socket gauges"
    assert not gateway_only & names(parts["api"]), "the API exports the gateway's gauges"
    assert not gateway_only & names(parts["worker"])
    accepted = {"herald_notifications_accepted_total"}
    assert accepted <= names(parts["api"]) and not accepted & names(parts["worker"])
    assert "herald_notifications_stored_total" not in names(parts["gateway"])
