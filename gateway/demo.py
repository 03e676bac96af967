"""``/demo``: the <herald-inbox> element on a page of its own, in the visitor's language."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from babel import negotiate_locale
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from backend.templates.i18n import LOCALE_DIR, is_rtl, translations

router = APIRouter(include_in_schema=False)
CATALOGS = sorted(["en", *(p.name for p in LOCALE_DIR.iterdir() if p.is_dir())])


@lru_cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html"]), extensions=["jinja2.ext.i18n"])
    return env


def _language(lang: str | None, accept_language: str | None) -> str:
    wanted = [lang] if lang else [
        part.split(";")[0].strip() for part in (accept_language or "").split(",") if part]
    found = negotiate_locale([w.replace("-", "_") for w in wanted], CATALOGS, sep="_")
    return (found or "en").replace("_", "-")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(Path(__file__).parent / "static" / "favicon.svg",
                        media_type="image/svg+xml")


def _policy(nonce: str, host: str) -> str:
    """The page runs its own script and style only, talks to its own gateway only, and is
    never framed (a click on it is always the reader's own)."""
    return "; ".join([
        "default-src 'none'", f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'nonce-{nonce}'", "img-src 'self' data:",
        f"connect-src 'self' ws://{host} wss://{host}", "frame-ancestors 'none'",
        "base-uri 'none'", "form-action 'none'"])


@router.get("/demo", response_class=HTMLResponse)
def demo(request: Request, lang: Annotated[str | None, Query(max_length=35)] = None,
         layout: Literal["page", "dropdown"] = "page",
         accept_language: Annotated[str | None, Header()] = None) -> HTMLResponse:
    """The inbox is the <herald-inbox> element; the page picks its language and layout."""
    tag = _language(lang, accept_language)
    env = _environment().overlay()
    env.install_gettext_translations(translations(tag), newstyle=True)  # type: ignore[attr-defined]
    nonce = secrets.token_urlsafe(16)
    html = env.get_template("demo.html").render(
        lang=tag, direction="rtl" if is_rtl(tag) else "ltr", layout=layout, nonce=nonce)
    host = request.headers.get("host", "").replace(";", "").replace(" ", "")
    return HTMLResponse(html, headers={"Content-Security-Policy": _policy(nonce, host),
                                       "X-Frame-Options": "DENY",
                                       "X-Content-Type-Options": "nosniff"})
