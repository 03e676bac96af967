"""Templates per key and locale, versioned, with a preview."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.exceptions import RequestValidationError

from backend import templates
from backend.api.deps import SessionDep, TenantDep
from backend.i18n import normalize
from backend.render import RenderError
from backend.schemas import PreviewRequest, PreviewResult, TemplatePublic, TemplateUpsert

router = APIRouter(prefix="/v1/templates", tags=["templates"])

KeyPath = Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")


def _locale(locale: str) -> str:
    try:
        return normalize(locale)
    except ValueError as exc:
        raise RequestValidationError([{"loc": ("path", "locale"), "msg": str(exc),
                                       "type": "value_error"}]) from exc


@router.put("/{key}/{locale}")
def put_template(body: TemplateUpsert, tenant: TenantDep, session: SessionDep,
                 key: str = KeyPath, locale: str = Path(max_length=35)) -> TemplatePublic:
    """Add a version of a template for one locale (earlier sends keep their version)."""
    template = templates.add_version(session, tenant.id, key, _locale(locale), body.model_dump())
    return TemplatePublic.model_validate(template)


@router.post("/{key}/preview")
def preview_template(body: PreviewRequest, tenant: TenantDep, session: SessionDep,
                     key: str = KeyPath) -> PreviewResult:
    """Render a template as a reader with ``locale`` and ``timezone`` would get it."""
    try:
        found = templates.preview(session, tenant.id, key, body.locale, body.timezone, body.data)
    except RenderError as exc:
        field = (exc.__notes__ or ["template"])[0]
        raise RequestValidationError([{"loc": ("body", "data"), "type": "value_error",
                                       "msg": f"{field}: {exc}"}]) from exc
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"template {key!r} not found")
    template, rendered = found
    return PreviewResult(locale=template.locale, version=template.version, **rendered)
