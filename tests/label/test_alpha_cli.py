"""``logsieve label``: registered, teaches in --help, refuses bad settings before any work."""

from __future__ import annotations

from typer.testing import CliRunner

from logsieve.cli import app


def test_label_help_and_bad_settings():
    runner = CliRunner()
    help_text = runner.invoke(app, ["label", "--help"]).output
    assert "--budget" in help_text and "--seed-labels" in help_text and "Examples: logsieve label" in help_text and "qwen2.5-coder-1.5b" in help_text
    bad = runner.invoke(app, ["label", "--budget", "0", "--json"])
    assert bad.exit_code == 2 and "--budget" in bad.output
    none = runner.invoke(app, ["label", "--llm", "none", "--json"])
    assert none.exit_code == 2 and "needs an LLM" in none.output
