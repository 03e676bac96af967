"""Every setting Herald reads, in one place. Each is a ``HERALD_`` environment variable."""

from __future__ import annotations

import ipaddress
import json
import socket
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, PositiveInt, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from backend.core.redis import sentinel_target


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HERALD_", env_file=".env", extra="ignore")

    # Each setting's line starting "#:" is its documentation: the README's configuration table
    # is made from these lines (``make docs``; a test checks that it lists every setting).

    #: Redis for the stream, the Celery queues and presence; unset: the embedded server.
    #: ``redis://[:PASSWORD@]HOST:PORT[/DB]``, or through Sentinel:
    #: ``redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/SERVICE_NAME[/DB]``.
    redis_url: str | None = None
    #: Replicas every accepted notification must reach before the API answers 202 (Redis
    #: ``WAIT``); 0 on one machine. With Sentinel, 1: a failover cannot lose a 202.
    redis_min_replicas: int = Field(0, ge=0)
    #: How long the API waits for those replicas before answering 503 (nothing accepted).
    redis_wait_timeout_ms: int = Field(1000, ge=1)
    #: PostgreSQL (``postgresql+psycopg2://...``); unset: the embedded server. Several hosts
    #: as libpq takes them, the primary found by itself after a promotion:
    #: ``postgresql://USER:PW@/herald?host=a:5432,b:5432&target_session_attrs=read-write``.
    database_url: str | None = None
    #: Where the embedded servers, keys and logs of ``herald up`` live.
    data_dir: Path = Path(".herald")
    #: Added to every port left at its default (API, gateway, Flower, the worker's metrics,
    #: the outbound worker's, the embedded Redis and PostgreSQL): a second copy of Herald on
    #: one machine moves all seven with one setting.
    port_offset: int = Field(0, ge=0, le=50_000)
    #: Port of the embedded Redis (when ``HERALD_REDIS_URL`` is unset).
    embedded_redis_port: int = 16379
    #: Port of the embedded PostgreSQL (when ``HERALD_DATABASE_URL`` is unset).
    embedded_postgres_port: int = 15432

    #: Address the API, gateway and Flower listen on.
    host: str = "127.0.0.1"
    #: Port of the service API.
    api_port: int = 8000
    #: Port of the gateway (WebSocket, REST inbox, demo, herald.js).
    gateway_port: int = 8001
    #: Port of Flower.
    flower_port: int = 5555
    #: Port where a worker exports its Prometheus metrics (``/metrics``); 0: none. Run more
    #: than one worker on a machine with a port each.
    worker_metrics_port: int = Field(8002, ge=0, le=65_535)
    #: Port where the outbound worker (``herald outbound``) exports its metrics; 0: none.
    outbound_metrics_port: int = Field(8003, ge=0, le=65_535)
    #: Where workers reach a gateway's push API; unset: the local gateway.
    gateway_url: str | None = None
    #: Shared secret of workers and gateway nodes for ``/internal/*``; made by ``herald up``.
    internal_key: str | None = None

    #: Stream entries a bridge reads at once, and notifications per Celery task. Most of a
    #: batch's cost is paid once per batch: 500 rather than 100 nearly doubled what two cores
    #: deliver under load; a batch is only as large as what is waiting, so light traffic
    #: still goes out in small ones.
    batch_size: int = Field(500, ge=1, le=5000)
    #: Notifications per Celery task on the low queue. A worker process cannot put down a
    #: batch it holds: a high notification waits for the end of one, so low batches (the
    #: backlogs) stay short and the process that takes one is soon free again.
    low_batch_size: int = Field(100, ge=1, le=5000)
    #: Partitions of the ingest stream, each a stream of its own (a Redis Cluster hash tag
    #: apiece) read by its own bridge consumer; a reader's notifications keep one partition.
    #: More spread the ingest over shards and hosts, but each partition makes its own batches.
    ingest_partitions: int = Field(1, ge=1, le=256)
    #: Stream entries the API writes in one pipelined round trip at most.
    ingest_chunk: int = Field(1000, ge=1)
    #: How long a bridge blocks on the stream when it is empty.
    bridge_block_ms: int = 1000
    #: Batches a Celery queue may hold before the bridge publishes more to it. The rest wait
    #: in Redis's streams, where the bridge still chooses what goes next (high first, then
    #: tenants in turn); a queue deeper than this makes everything behind it wait its turn.
    #: Beat's dispatch of in-app retries keeps to it too (the rest stay due rows).
    bridge_queued_batches: int = Field(4, ge=1)
    #: Batches the high queue may hold before the bridge publishes more to it. While every
    #: worker process is busy, high notifications gather into the one batch that goes next,
    #: not into many small ones that each pay a batch's cost (a dozen statements and a push)
    #: before the one behind them is taken.
    bridge_queued_high_batches: int = Field(1, ge=1)
    #: This bridge's consumer name in the stream's group (default: the host name).
    bridge_consumer: str = Field(default_factory=socket.gethostname)
    # In-app delivery retries while the reader is offline: delay = min(cap, base * 2^(n-1)),
    # with full jitter.
    #: First wait before retrying an in-app delivery to an offline reader.
    retry_base_seconds: float = Field(30.0, gt=0)
    #: Longest wait between in-app retries.
    retry_cap_seconds: float = Field(3600.0, gt=0)
    #: In-app attempts before falling back to the next channel (Slack, email).
    retry_max_attempts: int = Field(5, ge=1)
    #: Per-priority overrides as JSON, e.g. ``{"high": {"base_seconds": 5}}``.
    retry_policies: dict[str, dict[str, float]] = Field(default_factory=dict)
    #: First wait before retrying a failed Slack or email send (each channel on its own).
    fallback_base_seconds: float = Field(10.0, gt=0)
    #: Longest wait between fallback retries.
    fallback_cap_seconds: float = Field(600.0, gt=0)
    #: Attempts per fallback channel before the next one (or ``failed``).
    fallback_max_attempts: int = Field(5, ge=1)
    #: How often beat dispatches due retries, scheduled sends and recurring schedules.
    dispatch_interval_seconds: float = Field(1.0, gt=0)
    #: Due rows one dispatch tick hands out at most.
    dispatch_batch: int = 1000
    #: A dispatched row comes back due after this long if its task never reported.
    dispatch_lease_seconds: float = 300.0
    #: Deliveries of one stream entry or Celery message before it is a dead letter.
    max_deliveries: int = Field(5, ge=1)
    #: Entries a dead bridge held this long are claimed by a live one.
    bridge_claim_idle_ms: int = 60_000
    # An entry published this long ago and neither persisted, queued nor held by a worker lost
    # its Celery message (Redis crashed between a worker's take and its record).
    #: An entry whose Celery message was lost is published again after this long.
    stream_redeliver_after_seconds: float = Field(600.0, gt=0)
    #: How often persisted entries are trimmed from the ingest stream.
    stream_trim_interval_seconds: float = 10.0
    #: Lifetime of the lock that keeps beat to one running instance.
    beat_lock_ttl_seconds: float = 10.0
    #: How long an ``idempotency_key`` answers the same ids.
    idempotency_ttl_seconds: int = 86_400
    #: Celery's Redis transport redelivers a killed worker's messages after this long.
    visibility_timeout_seconds: int = 300
    #: Processes per worker (Celery prefork pool).
    worker_concurrency: int = 2
    #: Sends in flight at once in one outbound worker (``herald outbound``: webhooks, Slack,
    #: email, in threads): they wait on other servers, not on this machine's cores.
    outbound_concurrency: int = Field(16, ge=1, le=1000)
    #: Sends of one tenant in flight at once in one outbound worker: a tenant whose
    #: endpoints are slow waits for its own (its events come back after their lease, its
    #: Slack and email sends a second later), and the other tenants' sends go on.
    outbound_per_tenant: int = Field(4, ge=1)

    #: Seconds between digest emails, per digest option a reader can choose.
    digest_periods: dict[str, float] = Field(
        default_factory=lambda: {"hourly": 3600.0, "daily": 86400.0})

    #: SMTP server for email fallbacks and digests: ``smtp://host:port`` or
    #: ``smtp+starttls://user:pass@host:port``; unset: no email.
    smtp_url: str | None = None
    #: SMTP: the longest wait for one step (connecting, each answer of the server).
    smtp_timeout_seconds: float = Field(15.0, gt=0)
    #: SMTP: the longest a whole send may take (a server answering a byte at a time is cut
    #: off here, the attempt failed and retried); below HERALD_TASK_SOFT_TIME_LIMIT_SECONDS.
    smtp_send_timeout_seconds: float = Field(45.0, gt=0)
    #: The From of Herald's emails.
    email_from: str = "Herald <no-reply@localhost>"
    #: Whom push services may contact about Herald's Web Push (VAPID ``sub``, a ``mailto:``
    #: or ``https:`` URL); unset: the address of ``HERALD_EMAIL_FROM``.
    push_contact: str | None = None

    #: A socket must authenticate within this long after opening.
    ws_handshake_timeout_seconds: float = 5.0
    #: After a reader's token expires: this long to send a fresh auth frame before close 4403.
    ws_reauth_grace_seconds: float = 10.0
    #: WebSocket ping interval (dead sockets are found and closed).
    ws_ping_interval_seconds: float = 25.0
    #: REST inbox (``/v1/me/*``) requests per second per reader on each gateway node (bursts
    #: of twice as many); beyond: 429 with Retry-After.
    inbox_requests_per_second: float = Field(10.0, gt=0)
    #: Client frames allowed per second per socket (burst: twice as many); beyond: close 4429.
    ws_client_frames_per_second: float = 20.0
    #: Notifications a second one socket's frames may change (state changes, acks by id; a
    #: whole-inbox change counts 1000), bursts of twice that; a frame beyond gets an
    #: ``over_budget`` error frame and is not applied (the client may send it again later).
    ws_ids_per_second: float = Field(2000.0, gt=0)
    #: The same for all the sockets of one tenant on one gateway node.
    ws_tenant_ids_per_second: float = Field(20_000.0, gt=0)
    #: Gateway processes on this machine, one port (SO_REUSEPORT), each a node of its own:
    #: one per core spreads sockets and frames over the cores.
    gateway_processes: int = Field(1, ge=1, le=256)
    #: How often a gateway node refreshes its readers' presence; presence expires after 3x.
    gateway_heartbeat_seconds: float = 10.0
    #: How long a node waits for another node's answer to a push.
    gateway_reply_timeout_seconds: float = 2.0
    #: Frames queued per socket; a reader that falls further behind is closed (it resumes).
    ws_send_queue_size: int = 1000
    #: Largest frame a client may send.
    ws_max_frame_bytes: int = 64 * 1024
    #: Compress WebSocket frames (permessage-deflate) when the browser offers it: frames
    #: about a third the size on the wire, for CPU on every frame and ~20-40 KiB more memory
    #: per socket. Off: notifications are small, sockets many.
    ws_per_message_deflate: bool = False
    #: Longest lifetime of a reader token minted by ``POST /v1/tokens``.
    token_max_ttl_seconds: int = 7 * 86_400
    #: Sockets one reader may hold open at once (tabs, devices); one more is closed 4409.
    ws_max_sockets_per_reader: int = Field(20, ge=1)
    #: Sockets one address may hold before authenticating; one more is closed 1013.
    ws_max_pending_per_ip: int = Field(64, ge=1)
    #: Load balancers and proxies (addresses or CIDRs) whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` every part believes: behind them, per-address caps
    #: (HERALD_WS_MAX_PENDING_PER_IP) count readers, not the balancer. ``["*"]`` trusts any
    #: peer: only where nothing else can reach the port.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    #: A client that has not sent a whole request head by then is disconnected (slowloris).
    http_header_timeout_seconds: float = Field(10.0, gt=0)
    #: The longest a request's body may take to arrive once its head is in (a client dripping
    #: its body is disconnected).
    http_body_timeout_seconds: float = Field(30.0, gt=0)

    # Limits on what one request may ask for (docs/SECURITY.md); beyond them: 413, nothing
    # changed.
    #: Largest request body (the gateway's internal push excepted).
    max_request_bytes: int = Field(1024 * 1024, ge=1024)
    #: Largest ``data`` of one notification, as JSON.
    max_data_bytes: int = Field(32 * 1024, ge=64)
    #: Recipients x the bytes of one notification: what one request may write into Redis.
    max_fanout_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    #: Notifications one request may create, summed over a batch's items.
    max_notifications_per_request: int = Field(1000, ge=1)
    #: Per-tenant quota on the service API: notifications a second (429 beyond).
    tenant_rate_per_second: float = Field(1000.0, gt=0)
    #: Per-tenant quota: the bucket refilled at the rate above.
    tenant_burst: int = Field(20_000, ge=1)
    #: Per tenant id, e.g. ``{"<tenant id>": {"rate_per_second": 5000, "burst": 50000}}``.
    tenant_rate_overrides: dict[str, dict[str, float]] = Field(default_factory=dict)
    #: Each tenant's share of the queues against the others' while they wait on each other,
    #: e.g. ``{"<tenant id>": 2}``: the bridge publishes tenants' batches in turn (deficit
    #: round robin), twice as much per turn for a weight of 2, and beat hands out due
    #: retries, fallbacks and webhook events in the same turns. Unnamed tenants weigh 1.
    tenant_weights: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)

    #: Time one template field may take to render.
    render_timeout_seconds: float = Field(1.0, gt=0)
    #: Characters one template field may produce.
    max_rendered_chars: int = Field(256 * 1024, ge=1024)
    #: Every Celery task: SoftTimeLimitExceeded (then a retry) after this long.
    task_soft_time_limit_seconds: float = Field(60.0, gt=0)
    #: Every Celery task: its pool process is killed after this long.
    task_time_limit_seconds: float = Field(120.0, gt=0)

    #: Recurring schedules: no closer than this between runs.
    schedule_min_interval_seconds: float = Field(60.0, ge=1)
    #: Recurring schedules: the next run must fall within this many days.
    schedule_horizon_days: int = Field(366, ge=1)

    #: Where Slack fallbacks may post; widen for self-hosted chat tools.
    webhook_allowed_hosts: list[str] = Field(default_factory=lambda: ["hooks.slack.com"])
    #: Let webhooks reach private, loopback and link-local addresses (checked when sending).
    webhook_allow_private: bool = False
    #: Let webhooks use plain http.
    webhook_allow_http: bool = False
    #: One deadline for a whole webhook send (connect, TLS, request, answer).
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    #: Hosts outbound calls (Slack fallbacks, delivery webhooks) may reach although private,
    #: and over plain http: host names and CIDRs, a JSON list or comma-separated, e.g.
    #: ``["10.0.0.0/8", "hooks.internal"]``. Default: none.
    outbound_allow: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Delivery webhooks: attempts per event before it is given up (failed).
    event_max_attempts: int = Field(8, ge=1)
    #: Delivery webhooks: first wait after a failed attempt; it doubles up to the cap.
    event_retry_base_seconds: float = Field(5.0, gt=0)
    #: Delivery webhooks: the longest wait between attempts.
    event_retry_cap_seconds: float = Field(3600.0, gt=0)
    #: A ``send_at`` this far in the past is sent at once; further back it is refused (422):
    #: a past time is a clock or time-zone mistake more often than "now".
    send_at_grace_seconds: float = Field(60.0, ge=0)
    #: Delivery webhooks a tenant may register.
    max_webhooks_per_tenant: int = Field(10, ge=1)
    #: Topics a tenant may have.
    max_topics_per_tenant: int = Field(10_000, ge=1)
    #: Recurring schedules a tenant may have.
    max_schedules_per_tenant: int = Field(1_000, ge=1)

    #: Browser origins allowed to call every tenant's REST inbox (CORS), e.g.
    #: ``["https://app.example.com"]``; ``["*"]`` for any. Tenants add their own through
    #: ``PUT /v1/tenant/allowed-origins``.
    cors_allowed_origins: list[str] = Field(default_factory=list)

    #: Days notifications are kept (with their attempts); older days are dropped whole.
    retention_days: int = Field(90, ge=1)
    #: Per tenant id, days to keep instead, e.g. ``{"<tenant id>": 30}``.
    retention_overrides: dict[str, int] = Field(default_factory=dict)
    #: How often beat applies retention and makes the coming days' partitions.
    retention_interval_seconds: float = Field(3600.0, gt=0)

    #: Dead letters kept per tenant; the oldest go first.
    dead_letters_per_tenant: int = Field(10_000, ge=1)

    #: Python's garbage collector in every long-running part (``gc.set_threshold``, e.g.
    #: ``[20000, 20, 100]``): objects in the youngest generation, then collections of each
    #: generation per collection of the next older. The young generation is large enough
    #: that a push's thousand frames die before a collection sees them: Python's 700 kept
    #: them alive into the oldest generation, whose growth set off full collections (0.4-0.7 s
    #: each at 10,000 sockets, a third of a gateway's fan-out). The oldest is looked at a
    #: tenth as often as Python's default (10), and what a part loads at start is left out
    #: (``gc.freeze``): full collections walk every socket.
    gc_thresholds: tuple[PositiveInt, PositiveInt, PositiveInt] = (20_000, 20, 100)

    #: Log level of every part (``herald up`` shows its parts' warnings only unless
    #: ``--verbose`` or this is set).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: ``text``, or ``json``: one object per line, with ``tenant_id`` and ``notification_id``
    #: where the line concerns one.
    log_format: Literal["text", "json"] = "text"
    #: Celery's lines per task and per beat tick (received, succeeded, "Sending due task").
    log_tasks: bool = False

    #: Show beat's housekeeping ticks (``herald.periodic.*``, five a second) in Flower too;
    #: off, Flower shows the notification tasks only.
    flower_housekeeping: bool = False
    #: Development only: the gateway hands out a reader token for the demo tenant (the one in
    #: ``data_dir/demo-tenant.json``) at ``GET /v1/me/dev-token?user=ID`` with just its
    #: publishable key, so that herald.js can be tried before a backend mints tokens.
    #: ``herald up`` turns it on when it runs the embedded servers; never in production
    #: (anyone with the publishable key could act as any demo reader).
    dev_tokens: bool = False

    #: Tasks Flower keeps in memory (its own default, 100,000, grows it by ~1 KB a task:
    #: hundreds of MB); the oldest go first.
    flower_max_tasks: int = Field(10_000, ge=100)
    #: Flower's basic-auth user.
    flower_user: str = "herald"
    #: Flower's basic-auth password; for embedded development one is made and kept in
    #: data_dir.
    flower_password: str | None = None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None:
            sentinel_target(value)  # a Sentinel URL's mistakes are told at start, by name
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        return None if value is None else database_url(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            if entry != "*":
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError as exc:
                    raise ValueError(f"{entry!r} is not an address or CIDR") from exc
        return value

    @field_validator("outbound_allow", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """A JSON list, as every other list setting takes, or comma-separated."""
        if isinstance(value, str) and value.strip().startswith("["):
            return json.loads(value)
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    # Decided once from the environment: filling in embedded URLs later does not change it.
    _embedded: bool = PrivateAttr(default=False)

    def model_post_init(self, __context: object) -> None:
        self._embedded = self.redis_url is None or self.database_url is None
        if self.port_offset:
            for name in PORTS:
                if name not in self.model_fields_set:
                    setattr(self, name, getattr(self, name) + self.port_offset)

    @property
    def embedded(self) -> bool:
        """Running the one-machine development default (some server is embedded)."""
        return self._embedded

    @property
    def push_url(self) -> str:
        base = self.gateway_url or f"http://{self.host}:{self.gateway_port}"
        return base.rstrip("/") + "/internal/push"

    def require_internal_key(self) -> str:
        if not self.internal_key:
            raise RuntimeError("HERALD_INTERNAL_KEY is not set: run through `herald`, which "
                               "makes one for the embedded default, or set it")
        return self.internal_key

    def require_urls(self) -> tuple[str, str]:
        if not self.redis_url or not self.database_url:
            raise RuntimeError(
                "Redis/PostgreSQL URLs unresolved: run through `herald up`, or set "
                "HERALD_REDIS_URL and HERALD_DATABASE_URL"
            )
        return self.redis_url, self.database_url


_current: Settings | None = None


def get_settings() -> Settings:
    """This process's settings: the ones its entry point resolved (``use_settings``), or else
    read once from the environment. Only entry points call this; everything below them gets
    settings, or objects built from them, passed in."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def use_settings(settings: Settings) -> Settings:
    """Install the settings an entry point resolved (embedded URLs filled in) for this process."""
    global _current
    _current = settings
    return settings


PORTS = ("api_port", "gateway_port", "flower_port", "worker_metrics_port",
         "outbound_metrics_port", "embedded_redis_port", "embedded_postgres_port")


def database_url(url: str) -> str:
    """``url`` as SQLAlchemy's psycopg2 dialect takes it: the driver named, and libpq's
    ``host=a:5432,b:5432`` (several hosts) as one ``host=`` each."""
    parts = urlsplit(url)
    scheme = "postgresql+psycopg2" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query += [(key, host) for host in value.split(",")] if key == "host" else [(key, value)]
    return urlunsplit(parts._replace(scheme=scheme, query=urlencode(query, safe=":/,")))
