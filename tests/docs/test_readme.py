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


def test_the_sqlite_pass_runs_on_sqlite_even_where_ci_names_a_postgresql_database():
    """`.ci/run` exports MEETCORE_TEST_DATABASE_URL for the PostgreSQL pass; `make test` runs the SQLite pass
    first, which must not see it (else both passes run on PostgreSQL and the SQLite-only tests never run)."""
    import os
    import shutil
    import subprocess

    if shutil.which("make") is None:
        import pytest

        pytest.skip("no make on this machine")
    env = {**os.environ, "MEETCORE_TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test"}
    recipe = subprocess.run(
        ["make", "-n", "--no-print-directory", "test-sqlite"], cwd=README.parent, env=env,
        capture_output=True, text=True, check=True,
    ).stdout
    [command] = [line for line in recipe.splitlines() if "pytest" in line]
    assert command.startswith("env -u MEETCORE_TEST_DATABASE_URL "), command
