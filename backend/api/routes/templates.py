"""Templates per key and locale, versioned, with a preview."""

from __future__ import annotations

from fastapi import APIRouter, Path

from backend.api.deps import ServicesDep, SessionDep, TenantDep
from backend.core.errors import InvalidInput, NotFound
from backend.templates import versions
from backend.templates.i18n import normalize
from backend.templates.render import RenderError
from backend.templates.schemas import PreviewRequest, PreviewResult, TemplatePublic, TemplateUpsert

router = APIRouter(prefix="/v1/templates", tags=["templates"])

KeyPath = Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")


def _locale(locale: str) -> str:
    try:
        return normalize(locale)
    except ValueError as exc:
        raise InvalidInput(str(exc), ("path", "locale")) from exc


@router.put("/{key}/{locale}")
def put_template(body: TemplateUpsert, tenant: TenantDep, session: SessionDep,
                 key: str = KeyPath, locale: str = Path(max_length=35)) -> TemplatePublic:
    """Add a version of a template for one locale (earlier sends keep their version)."""
    template = versions.add_version(session, tenant.id, key, _locale(locale), body.stored())
    return TemplatePublic.model_validate(template)


@router.post("/{key}/preview")
def preview_template(body: PreviewRequest, tenant: TenantDep, session: SessionDep,
                     services: ServicesDep, key: str = KeyPath) -> PreviewResult:
    """Render a template as a reader with ``locale`` and ``timezone`` would get it."""
    try:
        found = versions.preview(session, tenant.id, key, body.locale, body.timezone, body.data,
                                 services.render_budget)
    except RenderError as exc:
        field = (exc.__notes__ or ["template"])[0]
        raise InvalidInput(f"{field}: {exc}", ("body", "data")) from exc
    if found is None:
        raise NotFound(f"template {key!r} not found")
    template, rendered = found
    return PreviewResult(locale=template.locale, version=template.version, **rendered)
