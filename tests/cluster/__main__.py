"""``make cluster``: the failover suite's topology for a person to try. Builds the hosts,
prints each one's address, HAProxy's ports and how to cut a host off and heal it, and
removes it all on Ctrl-C (root: network namespaces)."""

from __future__ import annotations

import signal
import sys
import tempfile
from pathlib import Path

from tests.cluster.hosts import usable
from tests.cluster.topology import Cluster


def main() -> int:
    if (why := usable()) is not None:
        print(f"make cluster: {why}", file=sys.stderr)
        return 1
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="herald-cluster-")))
    try:
        cluster.start(say=lambda line: print(f"cluster: {line}", flush=True))
        _explain(cluster)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        print("removing the cluster ...", flush=True)
        cluster.stop()
    return 0


def _explain(cluster: Cluster) -> None:
    switch = cluster.network.switch
    print("\nHosts (network namespaces; nothing outside them can reach them):")
    for host in cluster.network.hosts.values():
        print(f"  {host.name:8} {host.address:12} ip netns exec {host.netns} <command>")
    edge = cluster.host("edge").address
    client = cluster.host("client").netns
    print(f"\nHAProxy: service API http://{edge}:8000, gateway ws://{edge}:8001/ws")
    print(f"Tenant: {cluster.tenant['tenant_id']}  secret key {cluster.tenant['secret_key']}")
    print("Try it from the client host:")
    print(f"  ip netns exec {client} curl -s http://{edge}:8000/readyz")
    print(f"  ip netns exec {client} curl -s -X POST http://{edge}:8000/v1/notifications "
          f"-H 'X-API-Key: {cluster.tenant['secret_key']}' -H 'content-type: application/json'"
          " -d '{\"recipients\":[\"ada\"],\"content\":{\"title\":\"Hello\"}}'")
    print("Cut a host off and heal it (e.g. the Redis primary's, redis1):")
    print(f"  ip -n {switch} link set {cluster.host('redis1').switch_port} down   # cut")
    print(f"  ip -n {switch} link set {cluster.host('redis1').switch_port} up     # heal")
    print(f"Logs: {cluster.root}/<host>/")
    print("Ctrl-C removes it all.", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
