"""One OpenTelemetry trace per notification, across Herald's processes.

Off unless the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set, and ``OTEL_SDK_DISABLED`` is not true; the
exporter reads its other ``OTEL_*`` variables itself (headers, timeout, the batch
processor's delay). When off, every function here returns at its first line.

The trace's context travels as a W3C ``traceparent`` text: in the stream entry (the API's
request span), beside the entry in the Celery message (the bridge's span), in the push item
(the worker's push span) and beside the frame in the gateway (its push span), so each part
continues it. Work that is batched (a bridge batch, a worker batch, one push for many
readers) gets a span per notification, timed by the batch's stages.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

Attributes = dict[str, Any] | None
_PROPAGATOR = TraceContextTextMapPropagator()
# Beside a frame inside the gateway (never sent): the span its socket writer continues.
FRAME_KEY = "_herald_traceparent"
_on = False


def wanted() -> bool:
    """The standard variables ask for traces."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT")
    return bool(endpoint) and os.environ.get("OTEL_SDK_DISABLED", "").lower() != "true"


def on() -> bool:
    return _on


def setup(part: str, app: Any = None, instrument: tuple[str, ...] = ()) -> None:
    """Export this process's spans as ``herald-<part>``, with the official instrumentations
    of the libraries named in ``instrument`` ("httpx", "sqlalchemy", "redis", "celery") and
    FastAPI's for ``app``. A part that polls (the bridge, the gateway's Redis) leaves Redis
    out: a span per poll would bury the notifications' traces."""
    global _on
    if _on or not wanted():
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"herald-{part}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    if app is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        # /internal/push carries a trace per notification (spans of our own), and a socket's
        # whole life is no request to trace.
        FastAPIInstrumentor.instrument_app(app, excluded_urls="internal/push,ws,metrics,health")
    for name in instrument:
        instrumentor = _INSTRUMENTORS[name]()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
    _on = True


def _httpx() -> Any:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    return HTTPXClientInstrumentor()


def _sqlalchemy() -> Any:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    return SQLAlchemyInstrumentor()


def _redis() -> Any:
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    return RedisInstrumentor()


def _celery() -> Any:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    return CeleryInstrumentor()


_INSTRUMENTORS = {"httpx": _httpx, "sqlalchemy": _sqlalchemy, "redis": _redis,
                  "celery": _celery}


def flush() -> None:
    """Export what is buffered (before a process exits on its own)."""
    provider = trace.get_tracer_provider()
    if _on and hasattr(provider, "force_flush"):
        provider.force_flush()


def _tracer() -> trace.Tracer:
    return trace.get_tracer("herald")


def current() -> str | None:
    """The traceparent of the span in progress (the API's request), or None."""
    if not _on:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def parent_of(traceparent: str | None) -> Context | None:
    if not _on or not traceparent:
        return None
    context = _PROPAGATOR.extract({"traceparent": traceparent})
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def traceparent_of(span: Span) -> str:
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, trace.set_span_in_context(span))
    return carrier["traceparent"]


def start(name: str, traceparent: str | None, start_ns: int | None = None,
          attributes: Attributes = None) -> Span | None:
    """A span continuing ``traceparent`` (None when tracing is off or there is no trace);
    the caller ends it."""
    parent = parent_of(traceparent)
    if parent is None:
        return None
    return _tracer().start_span(name, context=parent, start_time=start_ns,
                                attributes=attributes)


def child(name: str, of: Span, start_ns: int | None = None, attributes: Attributes = None
          ) -> Span:
    return _tracer().start_span(name, context=trace.set_span_in_context(of),
                                start_time=start_ns, attributes=attributes)


def stage(name: str, traceparent: str | None, start_ns: int, attributes: Attributes = None
          ) -> str | None:
    """A span already over (a stage of a batch, timed by the batch); its traceparent, for
    what comes next."""
    span = start(name, traceparent, start_ns, attributes)
    if span is None:
        return traceparent
    span.end()
    return traceparent_of(span)


@contextmanager
def span(name: str, traceparent: str | None, attributes: Attributes = None
         ) -> Iterator[Span | None]:
    """A span of its own around a block, continuing ``traceparent``; None when off."""
    started = start(name, traceparent, attributes=attributes)
    if started is None:
        yield None
        return
    with trace.use_span(started, end_on_exit=True):
        yield started


def now() -> int:
    return time.time_ns()
