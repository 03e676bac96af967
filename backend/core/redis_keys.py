"""Every Redis key and stream name Herald uses, in one place, all prefixed ``herald:``."""

PREFIX = "herald:"

BRIDGE_GROUP = "bridge"


def ingest_stream(partition: int, priority: str = "normal", group: int = 0) -> str:
    """One lane of the ingest stream: a partition's entries of one priority and one group of
    tenants. The braces are a Redis Cluster hash tag: a partition's lanes and their in-flight
    sets share a slot, and partitions spread over shards. The normal lane of group 0 keeps the
    name the whole partition had before lanes, so entries written then are still read."""
    whole = f"{PREFIX}{{ingest:{partition}}}"
    return whole if (priority, group) == ("normal", 0) else f"{whole}:{priority}:{group}"


# The most partitions any producer has written to: bridges read that many (a producer
# configured with more partitions than a bridge still gets every entry read).
INGEST_PARTITIONS = PREFIX + "ingest:partitions"


def dead_letters(tenant_id: str | None) -> str:
    """A tenant's dead letters; those of no known tenant (undecodable entries) under ``_``."""
    return f"{PREFIX}dead-letters:{tenant_id or '_'}"


def idempotency(tenant_id: str, key: str) -> str:
    return f"{PREFIX}idem:{tenant_id}:{key}"


def accepted(notification_id: str) -> str:
    """Marks an id the API accepted whose row the worker has not written yet."""
    return f"{PREFIX}accepted:{notification_id}"


def erased(tenant_id: str, user_id: str) -> str:
    """When a reader was erased (ms): entries accepted before then are dropped, not stored."""
    return f"{PREFIX}erased:{tenant_id}:{user_id}"


def gateway_node_channel(node_id: str) -> str:
    return f"{PREFIX}gw:node:{node_id}"


# Every gateway node listens here for frames of changes made outside it (``LiveFrames``).
GATEWAY_LIVE_CHANNEL = PREFIX + "gw:live"

# Per gateway node: {"sockets", "readers", "at"} as JSON, refreshed with its heartbeat (for
# ``herald status``); a node that stopped refreshing is gone.
GATEWAY_NODES = PREFIX + "gw:nodes"


def presence(tenant_id: str, user_id: str) -> str:
    return f"{PREFIX}gw:presence:{tenant_id}:{user_id}"


def online(tenant_id: str) -> str:
    """A tenant's readers with an open socket on some node: user id -> expiry (ms)."""
    return f"{PREFIX}gw:online:{tenant_id}"


def reader_channel(tenant_id: str, user_id: str) -> str:
    return f"{PREFIX}gw:reader:{tenant_id}:{user_id}"


def render_overrun(tenant_id: str) -> str:
    """Set (with a TTL) while a tenant is demoted for templates that ran out of time."""
    return f"{PREFIX}render-overrun:{tenant_id}"


BEAT_LOCK = PREFIX + "beat:lock"


def inflight(lane: str) -> str:
    """A lane's entries handed to Celery but not yet persisted (score: the entry's
    milliseconds). The lane is trimmed only below the oldest of these, of the bridge's
    pending entries and of the entries it has not read yet."""
    return lane + ":inflight"


def inflight_published(lane: str) -> str:
    """The same entries, scored by when the bridge (last) published them: a Celery message
    lost with a Redis crash (taken from its queue, never recorded as unacked) is found by its
    age."""
    return lane + ":inflight:published"

# Where Celery's Redis transport keeps the messages workers hold (acks_late).
CELERY_UNACKED = "unacked"


def task_deliveries(task_id: str) -> str:
    """How many times a Celery message was started; past the limit it is a dead letter."""
    return f"{PREFIX}task-deliveries:{task_id}"
