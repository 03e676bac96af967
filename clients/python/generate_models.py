"""Writes ``herald_client/models.py`` from the service API's OpenAPI schema, so the client's
types are the server's: ``python clients/python/generate_models.py`` after a change to the
API (``tests/unit/test_python_client.py`` fails until then). Needs the server's code and
datamodel-code-generator (the test extras); the client itself needs neither."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

MODELS = Path(__file__).parent / "herald_client" / "models.py"
HEADER = '"""Herald\'s service API types, generated from its OpenAPI schema by\n' \
         'clients/python/generate_models.py: do not edit."""\n'


def openapi() -> dict:
    from backend.api.app import create_app
    from backend.core.config import Settings

    # The schema needs no running server: placeholders for the URLs it never opens.
    return create_app(Settings(redis_url="redis://schema-only", database_url=(
        "postgresql://schema-only/herald"))).openapi()


def generate(spec: dict) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        source, target = Path(scratch) / "openapi.json", Path(scratch) / "models.py"
        source.write_text(json.dumps(spec))
        subprocess.run([sys.executable, "-m", "datamodel_code_generator", "--input",
                        str(source), "--input-file-type", "openapi", "--output", str(target),
                        "--output-model-type", "pydantic_v2.BaseModel",
                        "--target-python-version", "3.11", "--use-annotated",
                        "--use-standard-collections", "--use-union-operator",
                        "--disable-timestamp", "--enum-field-as-literal", "all",
                        "--custom-file-header", HEADER], check=True, capture_output=True)
        return target.read_text()


if __name__ == "__main__":
    MODELS.write_text(generate(openapi()))
    print(f"wrote {MODELS}")
