"""The README's settings table is the one `meetcore settings` prints: every MEETCORE_ setting, its default."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_setting_as_the_command_prints_it():
    from meetcore.cli import settings_command

    printed = CliRunner().invoke(settings_command).output.strip()
    assert printed.startswith("| setting | default | meaning |")
    assert printed in README.read_text(encoding="utf-8"), "paste `meetcore settings` into README.md"


def test_the_readme_opens_with_the_two_commands():
    opening = README.read_text(encoding="utf-8").split("## ", 1)[0]
    assert "make demo" in opening and "make test" in opening
