"""Every Herald error an app raises becomes one answer, here: its status, and a body in
FastAPI's own shape (``detail``), so clients parse ours and the framework's alike."""

from __future__ import annotations

import json
import math

import redis
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError

from backend.core.errors import (
    HeraldError,
    InvalidInput,
    NotYet,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)


class NotJson(HeraldError):
    status_code = 415
    code = "unsupported_media_type"


def _not_json(request: Request, exc: RequestValidationError) -> NotJson | None:
    """A body sent as something other than JSON (curl's ``-d`` alone sends a form): say so,
    instead of pydantic's "Input should be a valid dictionary"."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return None
    if not any(tuple(e.get("loc", ())) == ("body",) for e in exc.errors()):
        return None
    return NotJson("send JSON with content-type: application/json (this request's "
                   f"content-type: {kind or 'none'})")


def answer(exc: HeraldError) -> JSONResponse:
    if isinstance(exc, InvalidInput):
        detail: object = [{"loc": list(exc.loc), "msg": str(exc), "type": exc.code}]
    else:
        detail = str(exc)
    headers = None
    if isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": exc.challenge}
    elif isinstance(exc, TooManyRequests | NotYet):
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if (wrong := _not_json(request, exc)) is not None:
            return answer(wrong)
        # FastAPI's own shape, written with ASCII escapes: the input it echoes may hold a lone
        # surrogate, which UTF-8 cannot encode (the answer would be a 500).
        body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

    @app.exception_handler(HeraldError)
    async def _herald_error(_request: Request, exc: HeraldError) -> JSONResponse:
        return answer(exc)

    @app.exception_handler(redis.RedisError)
    async def _redis_error(_request: Request, exc: redis.RedisError) -> JSONResponse:
        return answer(Unavailable(
            f"Redis did not take the request ({type(exc).__name__}); nothing was "
            "acknowledged: send it again, with the same idempotency_key to be sure"))

    @app.exception_handler(DBAPIError)
    async def _database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        # The transaction was rolled back; without this, the client saw its connection reset.
        return answer(Unavailable(
            f"the database did not take the request ({type(exc.orig).__name__}); nothing "
            "was changed: send it again, with the same idempotency_key to be sure"))

    @app.exception_handler(DataError)
    async def _data_error(_request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot hold: the transaction was rolled back, nothing changed.
        message = str(exc.orig).splitlines()[0] if exc.orig else "invalid value"
        return answer(InvalidInput(message))
