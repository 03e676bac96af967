"""A Celery serializer through ``fast_json`` (orjson), for the delivery batches the bridge
publishes: kombu's own json goes through a Python hook for every object it decodes and the
standard library's encoder for every message, a twentieth of a worker storing notifications
and a tenth of the bridge (py-spy, ``bench.online``). Other tasks keep kombu's json, whose
dates and ids come back as the types they were sent as."""

from __future__ import annotations

from kombu.serialization import register

from backend.core import fast_json

NAME = "herald-json"
CONTENT_TYPE = "application/x-herald-json"


def install() -> None:
    """Known to kombu in this process: a producer may then publish with it, and a worker
    that accepts it may read it. Installing twice changes nothing."""
    register(NAME, fast_json.dumps, fast_json.loads, content_type=CONTENT_TYPE,
             content_encoding="utf-8")


install()
