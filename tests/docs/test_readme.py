"""The README's settings table is the one `meetcore settings` prints: every MEETCORE_ setting, its default."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_setting_as_the_command_prints_it():
    from meetcore.commands import settings_command

    printed = CliRunner().invoke(settings_command).output.strip()
    assert printed.startswith("| setting | default | meaning |")
    assert printed in README.read_text(encoding="utf-8"), "paste `meetcore settings` into README.md"


def test_the_readme_opens_with_the_two_commands():
    opening = README.read_text(encoding="utf-8").split("## ", 1)[0]
    assert "make demo" in opening and "make test" in opening


def test_the_sqlite_pass_runs_on_sqlite_even_where_ci_names_a_postgresql_database():
    """`.ci/run` exports MEETCORE_TEST_DATABASE_URL for the PostgreSQL pass; `make test` runs the SQLite pass
    first, which must not see it (else both passes run on PostgreSQL and the SQLite-only tests never run)."""
    commands = _recipe("test-sqlite")
    assert len(commands) == 2  # the tests, then those that run alone
    for command in commands:
        assert command.startswith("env -u MEETCORE_TEST_DATABASE_URL "), command


def test_the_tests_marked_alone_run_after_the_others_and_by_themselves():
    """Their bound is a time under their own load (the rolling restart): no other worker runs beside them."""
    parallel, alone = _recipe("test-sqlite")
    assert "-n 2" in parallel and '-m "not alone"' in parallel, parallel
    assert "-p no:xdist" in alone and "-m alone" in alone, alone
    parallel, alone = _recipe("test-postgres")
    assert "-n 2" in parallel and alone.lstrip().startswith("{ "), (parallel, alone)
    assert "-p no:xdist" in alone and '-m "alone and not single_pass"' in alone, alone


def _recipe(target: str, *arguments: str) -> list[str]:
    """The pytest lines `make -n TARGET` would run, as CI calls it: none of the caller's make variables (a
    `make test-sqlite CLOCK=...` hands its own down through the environment)."""
    import os
    import shutil
    import subprocess

    if shutil.which("make") is None:
        import pytest

        pytest.skip("no make on this machine")
    env = {
        "PATH": os.environ["PATH"],
        "MEETCORE_TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
    }
    recipe = subprocess.run(
        ["make", "-n", "--no-print-directory", target, *arguments],
        cwd=README.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # A command's continued lines joined, but each pytest run on a line of its own.
    joined = recipe.replace("\\\n", " ").replace("&& ", "\n")
    return [line for line in joined.splitlines() if "pytest" in line]


def test_the_postgresql_pass_runs_more_than_a_year_ahead():
    """Issue 12: a date written into a test fails in CI on the day it is written, not months later."""
    import re

    for command in _recipe("test-postgres"):  # both runs of the pass: the others, then those alone
        shift = re.search(r"TESTS_CLOCK_SHIFT=\+(\d+)d", command)
        assert shift and int(shift.group(1)) > 366, command
        for moved in ("PYTHONPATH=", "MEETCORE_TEST_CHROMIUM=", "MEETCORE_JANUS_BINARY="):
            assert moved in command, command
    for backwards in _recipe("test-sqlite", "CLOCK=-200d"):
        assert "TESTS_CLOCK_SHIFT=-200d" in backwards and "env -u MEETCORE_TEST_DATABASE_URL" in backwards
