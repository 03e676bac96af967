"""``Herald`` and ``AsyncHerald``: every call of Herald's service API, on httpx.

Each call is written once (``_Api``), as a ``Call``: what to send and what comes back.
``Herald`` runs it and returns the answer; ``AsyncHerald`` returns an awaitable of it.
Sends carry an idempotency key made here unless one is given, so that a retry of this
client's own (a dropped connection, a 503) never creates a notification twice. A 429 waits as
its ``Retry-After`` says; a 4xx raises ``HeraldError`` with Herald's error body.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from herald_client import models as m
from herald_client.errors import HeraldError

M = TypeVar("M")
Body = Mapping[str, Any]


@dataclass(frozen=True)
class Call(Generic[M]):
    method: str
    path: str
    answer: Any  # what the answer's JSON becomes (a model, a list of models), or None
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    # Safe to send again when the answer was lost: reads, puts, deletes, keyed sends.
    repeatable: bool = True


@dataclass(frozen=True)
class Retries:
    """How this client retries on its own: 429 (as long as ``Retry-After`` says, up to
    ``max_wait``), and for repeatable calls 503 and connection errors (backoff with full
    jitter from ``base_seconds``)."""

    attempts: int = 4
    base_seconds: float = 0.5
    max_wait: float = 30.0

    def wait(self, attempt: int, answer: httpx.Response | None) -> float:
        if answer is not None and answer.status_code == 429:
            try:
                return min(float(answer.headers["Retry-After"]), self.max_wait)
            except (KeyError, ValueError):
                pass
        return random.uniform(0, min(self.max_wait, self.base_seconds * 2 ** attempt))


def _drop_none(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in fields.items() if v is not None}


def _keyed(item: Mapping[str, Any]) -> dict[str, Any]:
    return {**item, "idempotency_key": item.get("idempotency_key") or str(uuid.uuid4())}


class _Api:
    """Every operation of the service API; ``_run`` decides how a ``Call`` is made."""

    def _run(self, call: Call[Any]) -> Any:
        raise NotImplementedError

    # --- notifications ---------------------------------------------------------------
    def send(self, recipients: list[str] | None = None, *, topic: str | None = None,
             content: Body | None = None, template: str | None = None,
             data: Body | None = None, category: str | None = None,
             priority: str | None = None, channels: list[str] | None = None,
             locale: str | None = None, idempotency_key: str | None = None,
             send_at: datetime | str | None = None) -> m.NotificationAccepted:
        """One notification per recipient (or for a topic's subscribers)."""
        body = _keyed(_drop_none({
            "recipients": recipients, "topic": topic, "content": content, "template": template,
            "data": data, "category": category, "priority": priority, "channels": channels,
            "locale": locale, "idempotency_key": idempotency_key, "send_at": send_at}))
        return self._run(Call("POST", "/v1/notifications", m.NotificationAccepted, body))

    def send_batch(self, items: list[Body]) -> m.NotificationBatchAccepted:
        """Several sends in one request, each with its own idempotency key."""
        return self._run(Call("POST", "/v1/notifications/batch", m.NotificationBatchAccepted,
                              {"items": [_keyed(item) for item in items]}))

    def notification(self, notification_id: str) -> m.NotificationPublic:
        """A notification's status and attempts (or a whole send's summary)."""
        return self._run(Call("GET", f"/v1/notifications/{notification_id}",
                              m.NotificationPublic))

    def edit(self, notification_id: str, *, content: Body | None = None,
             template: str | None = None, data: Body | None = None
             ) -> m.NotificationsChanged:
        """New text for a notification (or a whole send), on every open inbox too."""
        return self._run(Call("PATCH", f"/v1/notifications/{notification_id}",
                              m.NotificationsChanged,
                              _drop_none({"content": content, "template": template,
                                          "data": data})))

    def retract(self, notification_id: str) -> m.NotificationsChanged:
        return self._run(Call("DELETE", f"/v1/notifications/{notification_id}",
                              m.NotificationsChanged))

    # --- topics ------------------------------------------------------------------------
    def put_topic(self, key: str, name: str | None = None) -> m.TopicPublic:
        return self._run(Call("PUT", f"/v1/topics/{key}", m.TopicPublic,
                              _drop_none({"name": name})))

    def topic(self, key: str) -> m.TopicPublic:
        return self._run(Call("GET", f"/v1/topics/{key}", m.TopicPublic))

    def delete_topic(self, key: str) -> None:
        return self._run(Call("DELETE", f"/v1/topics/{key}", None))

    def subscribe(self, key: str, add: list[str] | None = None,
                  remove: list[str] | None = None) -> m.SubscribersChanged:
        return self._run(Call("POST", f"/v1/topics/{key}/subscribers", m.SubscribersChanged,
                              {"add": add or [], "remove": remove or []}))

    def subscribers(self, key: str, cursor: str | None = None, limit: int | None = None
                    ) -> m.SubscriberPage:
        return self._run(Call("GET", f"/v1/topics/{key}/subscribers", m.SubscriberPage,
                              params=_drop_none({"cursor": cursor, "limit": limit})))

    # --- templates ---------------------------------------------------------------------
    def put_template(self, key: str, locale: str, title: str, **fields: Any
                     ) -> m.TemplatePublic:
        """``body``, ``email_subject``, ``email_html``, ``email_text``, ``slack_text``,
        ``variables`` as the API names them."""
        return self._run(Call("PUT", f"/v1/templates/{key}/{locale}", m.TemplatePublic,
                              {"title": title, **_drop_none(fields)}))

    def preview(self, key: str, *, locale: str | None = None, timezone: str | None = None,
                data: Body | None = None) -> m.PreviewResult:
        return self._run(Call("POST", f"/v1/templates/{key}/preview", m.PreviewResult,
                              _drop_none({"locale": locale, "timezone": timezone,
                                          "data": data}), repeatable=True))

    # --- schedules ---------------------------------------------------------------------
    def create_schedule(self, cron: str, notification: Body, timezone: str | None = None
                        ) -> m.SchedulePublic:
        return self._run(Call("POST", "/v1/schedules", m.SchedulePublic, _drop_none({
            "cron": cron, "notification": notification, "timezone": timezone}),
            repeatable=False))

    def schedules(self) -> list[m.SchedulePublic]:
        return self._run(Call("GET", "/v1/schedules", list[m.SchedulePublic]))

    def schedule(self, schedule_id: int | str) -> m.SchedulePublic:
        return self._run(Call("GET", f"/v1/schedules/{schedule_id}", m.SchedulePublic))

    def delete_schedule(self, schedule_id: int | str) -> None:
        return self._run(Call("DELETE", f"/v1/schedules/{schedule_id}", None))

    # --- readers and preferences -------------------------------------------------------
    def put_user(self, user_id: str, **profile: Any) -> m.UserPublic:
        """``name``, ``locale``, ``timezone``, ``email``, ``slack_webhook_url``."""
        return self._run(Call("PUT", f"/v1/users/{user_id}", m.UserPublic, _drop_none(profile)))

    def erase_user(self, user_id: str) -> m.UserErased:
        return self._run(Call("DELETE", f"/v1/users/{user_id}", m.UserErased))

    def put_preferences(self, user_id: str, **preferences: Any) -> m.PreferencesUpdate:
        """``categories``, ``quiet_hours``, ``digest``."""
        return self._run(Call("PUT", f"/v1/users/{user_id}/preferences", m.PreferencesUpdate,
                              _drop_none(preferences)))

    def put_preference_defaults(self, **defaults: Any) -> m.TenantPreferences:
        """The tenant's: ``categories``, ``quiet_hours``, ``digest``, ``required_categories``."""
        return self._run(Call("PUT", "/v1/preferences/defaults", m.TenantPreferences,
                              _drop_none(defaults)))

    # --- tokens, webhooks, dead letters, origins ----------------------------------------
    def create_token(self, user_id: str, ttl_seconds: int | None = None) -> m.TokenPublic:
        """A reader's JWT for the gateway (``mint_reader_token`` makes one without a call)."""
        return self._run(Call("POST", "/v1/tokens", m.TokenPublic,
                              _drop_none({"user_id": user_id, "ttl_seconds": ttl_seconds})))

    def create_webhook(self, url: str, events: list[str]) -> m.WebhookCreated:
        """The answer holds the webhook's secret, shown once (``verify_webhook`` uses it)."""
        return self._run(Call("POST", "/v1/webhooks", m.WebhookCreated,
                              {"url": url, "events": events}, repeatable=False))

    def webhooks(self) -> list[m.WebhookPublic]:
        return self._run(Call("GET", "/v1/webhooks", list[m.WebhookPublic]))

    def webhook(self, webhook_id: int | str) -> m.WebhookPublic:
        return self._run(Call("GET", f"/v1/webhooks/{webhook_id}", m.WebhookPublic))

    def delete_webhook(self, webhook_id: int | str) -> None:
        return self._run(Call("DELETE", f"/v1/webhooks/{webhook_id}", None))

    def webhook_events(self, webhook_id: int | str, cursor: str | None = None,
                       limit: int | None = None) -> m.EventPage:
        return self._run(Call("GET", f"/v1/webhooks/{webhook_id}/events", m.EventPage,
                              params=_drop_none({"cursor": cursor, "limit": limit})))

    def dead_letters(self, after: str | None = None, limit: int | None = None
                     ) -> m.DeadLetterPage:
        return self._run(Call("GET", "/v1/dead-letters", m.DeadLetterPage,
                              params=_drop_none({"after": after, "limit": limit})))

    def allowed_origins(self) -> m.AllowedOrigins:
        return self._run(Call("GET", "/v1/tenant/allowed-origins", m.AllowedOrigins))

    def set_allowed_origins(self, origins: list[str]) -> m.AllowedOrigins:
        return self._run(Call("PUT", "/v1/tenant/allowed-origins", m.AllowedOrigins,
                              {"origins": origins}))


def _parsed(call: Call[Any], answer: httpx.Response) -> Any:
    if answer.status_code >= 400:
        try:
            detail = answer.json().get("detail", answer.text)
        except ValueError:
            detail = answer.text
        retry_after = answer.headers.get("Retry-After")
        raise HeraldError(answer.status_code, detail,
                          float(retry_after) if retry_after else None)
    if call.answer is None or answer.status_code == 204:
        return None
    if isinstance(call.answer, type) and issubclass(call.answer, BaseModel):
        return call.answer.model_validate(answer.json())
    return TypeAdapter(call.answer).validate_python(answer.json())


def _again(call: Call[Any], answer: httpx.Response | None) -> bool:
    """Whether to try once more: 429 always (nothing was done), 503 only for a call that may
    be repeated."""
    assert answer is not None
    return answer.status_code == 429 or (answer.status_code == 503 and call.repeatable)


def _request(call: Call[Any]) -> dict[str, Any]:
    return {"method": call.method, "url": call.path, "params": call.params or None,
            "json": call.json if call.method in ("POST", "PUT", "PATCH") else None}


class Herald(_Api):
    """``Herald(api_key, url)``: the service API with a tenant's secret key."""

    def __init__(self, api_key: str, url: str = "http://localhost:8000",
                 retries: Retries | None = None, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.retries = retries or Retries()
        self._http = httpx.Client(base_url=url, timeout=timeout, transport=transport,
                                  headers={"X-API-Key": api_key})

    def _run(self, call: Call[Any]) -> Any:
        return _attempts(call, self.retries, lambda: self._http.request(**_request(call)),
                         time.sleep)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Herald:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncHerald(_Api):
    """The same calls, each awaited: ``await AsyncHerald(api_key, url).send([...], ...)``."""

    def __init__(self, api_key: str, url: str = "http://localhost:8000",
                 retries: Retries | None = None, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.retries = retries or Retries()
        self._http = httpx.AsyncClient(base_url=url, timeout=timeout, transport=transport,
                                       headers={"X-API-Key": api_key})

    def _run(self, call: Call[Any]) -> Awaitable[Any]:
        return _attempts_async(call, self.retries, lambda: self._http.request(**_request(call)))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncHerald:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


def _verdict(call: Call[Any], retries: Retries, attempt: int, answer: httpx.Response | None,
             error: httpx.TransportError | None) -> float | None:
    """``None``: this attempt's answer is the call's; else the seconds to wait before the
    next attempt. A connection error is raised when the call may not be repeated."""
    last = attempt + 1 >= retries.attempts
    if error is not None and (not call.repeatable or last):
        raise error
    if error is None and (last or not _again(call, answer)):
        return None
    return retries.wait(attempt, answer)


def _attempts(call: Call[Any], retries: Retries, send: Callable[[], httpx.Response],
              sleep: Callable[[float], None]) -> Any:
    for attempt in itertools.count():
        answer, error = None, None
        try:
            answer = send()
        except httpx.TransportError as exc:
            error = exc
        if (wait := _verdict(call, retries, attempt, answer, error)) is None:
            return _parsed(call, answer)  # type: ignore[arg-type]
        sleep(wait)


async def _attempts_async(call: Call[Any], retries: Retries,
                          send: Callable[[], Awaitable[httpx.Response]]) -> Any:
    for attempt in itertools.count():
        answer, error = None, None
        try:
            answer = await send()
        except httpx.TransportError as exc:
            error = exc
        if (wait := _verdict(call, retries, attempt, answer, error)) is None:
            return _parsed(call, answer)  # type: ignore[arg-type]
        await asyncio.sleep(wait)
