"""Template files on disk: ``DIR/<key>/<locale>.yaml`` (or ``.yml`` / ``.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from backend.core.errors import HeraldError
from backend.templates.i18n import normalize
from backend.templates.schemas import TemplateKey, TemplateUpsert

_KEY = TypeAdapter(TemplateKey)


class TemplateFileError(HeraldError, ValueError):
    """One or more template files are unreadable or invalid; the message lists each."""


@dataclass(frozen=True)
class TemplateFile:
    key: str
    locale: str
    fields: dict


def _read(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("expected a mapping of fields")
    return data


def read_all(directory: Path) -> list[TemplateFile]:
    found, errors = [], []
    paths = sorted(p for p in directory.glob("*/*") if p.suffix in (".yaml", ".yml", ".json"))
    for path in paths:
        try:
            key = _KEY.validate_python(path.parent.name)
            fields = TemplateUpsert.model_validate(_read(path)).stored()
            found.append(TemplateFile(key, normalize(path.stem), fields))
        except (ValueError, ValidationError, yaml.YAMLError, OSError) as exc:
            errors.append(f"{path}: {exc}")
    if errors:
        raise TemplateFileError("\n".join(errors))
    if not found:
        raise TemplateFileError(f"no template files under {directory} (want <key>/<locale>.yaml)")
    return found
