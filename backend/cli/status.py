"""What ``herald status`` shows and ``herald up`` sums up in one line: the ingest stream and its
consumers, the Celery queues, waiting rows, dead letters, gateway nodes and recent failures.

Read-only and cheap: counts of notifications cover the last 24 hours (a BRIN index on
``created_at``), everything else is a Redis length or an indexed count.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.core import redis_keys
from backend.db.models import Delivery, Notification, Schedule, ScheduledSend
from backend.notifications import queues, stream

WINDOW = timedelta(hours=24)
LAST_FAILURES = 5
LAG_COUNTED = 10_000  # past this many unread entries, "10000" means "at least"


@dataclass
class Status:
    stream_length: int = 0
    # Per consumer group: entries not yet read (lag) and read but not acknowledged (pending).
    groups: list[dict[str, Any]] = field(default_factory=list)
    consumers: list[dict[str, Any]] = field(default_factory=list)
    queues: dict[str, int] = field(default_factory=dict)
    unacked_tasks: int = 0
    # Notifications of the last 24 hours by status.
    notifications: dict[str, int] = field(default_factory=dict)
    retrying: int = 0
    due_now: int = 0
    scheduled_sends: int = 0
    schedules: int = 0
    failed_schedules: int = 0
    dead_letters: dict[str, int] = field(default_factory=dict)
    gateway_nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_failures: list[dict[str, str]] = field(default_factory=list)
    flower_max_tasks: int = 0  # the tasks Flower keeps in memory (HERALD_FLOWER_MAX_TASKS)

    @property
    def waiting_in_stream(self) -> int:
        return sum(int(g["lag"]) + int(g["pending"]) for g in self.groups)

    @property
    def sockets(self) -> int:
        return sum(int(n["sockets"]) for n in self.gateway_nodes.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sockets": self.sockets,
                "waiting_in_stream": self.waiting_in_stream}


def _lag(client: redis.Redis, name: str, group: dict[str, Any]) -> int:
    """Entries the group has not read yet (Redis 7 says so itself; 6.2, embedded, does not)."""
    if group.get("lag") is not None:
        return int(group["lag"])
    unread = cast(list[Any], client.xrange(
        name, f"({group['last-delivered-id']}", "+", count=LAG_COUNTED))
    return len(unread)


def _lane(client: redis.Redis, status: Status, partition: int, name: str) -> None:
    """Adds one lane's figures to its partition's: one line per partition and group (and per
    partition and consumer), whatever the number of lanes."""
    try:
        info = client.xinfo_stream(name)
    except redis.ResponseError:  # no stream yet: nothing was ever sent to this lane
        return
    status.stream_length += int(info["length"])
    for g in client.xinfo_groups(name):
        group = _entry(status.groups, partition, g["name"], consumers=0, pending=0, lag=0)
        group["consumers"] = max(group["consumers"], int(g["consumers"]))
        group["pending"] += int(g["pending"])
        group["lag"] += _lag(client, name, g)
        for c in client.xinfo_consumers(name, g["name"]):
            consumer = _entry(status.consumers, partition, c["name"], group=g["name"],
                              pending=0, idle_ms=int(c["idle"]))
            consumer["pending"] += int(c["pending"])
            consumer["idle_ms"] = min(consumer["idle_ms"], int(c["idle"]))


def _entry(rows: list[dict[str, Any]], partition: int, name: str, **start: Any
           ) -> dict[str, Any]:
    for row in rows:
        if (row["partition"], row["name"]) == (partition, name):
            return row
    rows.append({"partition": partition, "name": name, **start})
    return rows[-1]


def _redis(client: redis.Redis, status: Status, partitions: int) -> None:
    for partition in range(stream.partitions_in_use(client, partitions)):
        for lane in stream.lanes(partition):
            _lane(client, status, partition, lane)
    status.queues = {name: int(client.llen(name)) for name in queues.ALL}
    status.unacked_tasks = int(client.hlen(redis_keys.CELERY_UNACKED))
    for key in client.scan_iter(match=redis_keys.dead_letters("*"), count=500):
        status.dead_letters[key.rsplit(":", 1)[1]] = int(client.xlen(key))
    now = time.time()
    nodes = cast(dict[str, str], client.hgetall(redis_keys.GATEWAY_NODES))
    for node, raw in nodes.items():
        stats = json.loads(raw)
        if stats["expires"] > now:
            status.gateway_nodes[node] = stats


def _database(session: Session, status: Status) -> None:
    now = datetime.now(UTC)
    since = now - WINDOW
    status.notifications = {
        state: count for state, count in session.execute(
            select(Notification.status, func.count())
            .where(Notification.created_at >= since).group_by(Notification.status))}
    status.retrying = session.scalar(select(func.count()).select_from(Delivery)) or 0
    status.due_now = session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.due_at <= now)) or 0
    status.scheduled_sends = session.scalar(
        select(func.count()).select_from(ScheduledSend)
        .where(ScheduledSend.enqueued_at.is_(None))) or 0
    status.schedules = session.scalar(select(func.count()).select_from(Schedule)) or 0
    status.failed_schedules = session.scalar(
        select(func.count()).select_from(Schedule).where(Schedule.failed_at.is_not(None))) or 0
    failures = session.execute(
        select(Notification.id, Notification.tenant_id, Notification.status_reason,
               Notification.persisted_at)
        .where(Notification.status == "failed", Notification.created_at >= since)
        .order_by(Notification.persisted_at.desc()).limit(LAST_FAILURES))
    status.last_failures = [{"id": str(nid), "tenant_id": str(tenant),
                             "reason": reason or "", "at": at.isoformat()}
                            for nid, tenant, reason, at in failures]


def collect(client: redis.Redis, session: Session, partitions: int,
            flower_max_tasks: int = 0) -> Status:
    """``partitions``: the ingest stream's (``ingest_partitions``)."""
    status = Status(flower_max_tasks=flower_max_tasks)
    _redis(client, status, partitions)
    _database(session, status)
    return status


def one_line(status: Status) -> str:
    """The line ``herald up`` prints when something changed."""
    counts = status.notifications
    delivered = counts.get("delivered", 0) + counts.get("read", 0)
    queued = sum(status.queues.values())
    return (f"accepted {sum(counts.values()) + status.waiting_in_stream} · "
            f"delivered {delivered} · retrying {status.retrying} · "
            f"fallback sent {counts.get('fallback_sent', 0)} · failed {counts.get('failed', 0)}"
            f" · queued {queued} · sockets {status.sockets}")


def report(status: Status) -> str:
    """``herald status``: every figure, one section each."""
    lines = [f"ingest stream    {status.stream_length} entries (persisted ones are trimmed)"]
    lines += [f"  partition {g['partition']} group {g['name']:10} lag {g['lag']}, "
              f"pending {g['pending']}, {g['consumers']} consumer(s)" for g in status.groups]
    lines += [f"    partition {c['partition']} consumer {c['name']:20} pending {c['pending']}, "
              f"idle {c['idle_ms']} ms" for c in status.consumers]
    lines.append("queues           " + ", ".join(f"{name} {depth}"
                                                 for name, depth in status.queues.items()))
    lines.append(f"tasks held       {status.unacked_tasks} (taken by workers, not yet done)")
    lines.append("last 24 h        " + (", ".join(
        f"{state} {count}" for state, count in sorted(status.notifications.items())) or "none"))
    lines.append(f"retries waiting  {status.retrying} ({status.due_now} due now)")
    lines.append(f"scheduled sends  {status.scheduled_sends}; recurring schedules "
                 f"{status.schedules} ({status.failed_schedules} failed)")
    lines.append(f"dead letters     {sum(status.dead_letters.values())}" + "".join(
        f"\n  tenant {tenant}: {count}" for tenant, count in status.dead_letters.items()))
    lines.append(f"gateway nodes    {len(status.gateway_nodes)}, {status.sockets} socket(s)")
    lines += [f"  node {node}: {n['sockets']} socket(s), {n['readers']} reader(s)"
              for node, n in status.gateway_nodes.items()]
    lines.append(f"Flower           keeps the last {status.flower_max_tasks:,} tasks "
                 "(HERALD_FLOWER_MAX_TASKS)")
    lines.append("last failures    " + ("none" if not status.last_failures else ""))
    lines += [f"  {f['at']} {f['id']} (tenant {f['tenant_id']}): {f['reason']}"
              for f in status.last_failures]
    return "\n".join(lines)
