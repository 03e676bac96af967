"""`herald --help` reads as plain words: no completion flags, no type after every flag."""

from __future__ import annotations

from typer.testing import CliRunner

from backend.cli.main import app


def test_help_is_plain():
    for args in (["--help"], ["up", "--help"], ["worker", "--help"]):
        shown = CliRunner().invoke(app, args).output
        assert "<bool>" not in shown and "--install-completion" not in shown, shown
        assert "Usage:" in shown
