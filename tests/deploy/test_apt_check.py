"""Issue 18, item 6: `make demo` and `make test` first run .ci/apt-check, which checks the Debian packages of
.ci/apt-packages.txt (and npm). Here it runs with a PATH holding only a fake dpkg-query (answering from a
list of missing packages), a fake apt-get that records its calls, and the few tools the script uses; as a
user other than root, the real way (setpriv), when the suite runs as root."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / ".ci" / "apt-check"
NOBODY = 65534
TOOLS = ("bash", "grep", "id", "dirname", "cat")

FAKE_DPKG_QUERY = """#!/bin/bash
# dpkg-query -W -f='${Status}' PACKAGE: installed unless PACKAGE is in missing.txt
package="${@: -1}"
if grep -qx "$package" "$(dirname "$0")/../missing.txt"; then
  echo "dpkg-query: no packages found matching $package" >&2
  exit 1
fi
printf 'install ok installed'
"""
FAKE_APT_GET = """#!/bin/bash
echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> "$(dirname "$0")/../apt-get.log"
"""


class FakeMachine:
    """A folder readable by any user: bin/ (the fakes and the tools), missing.txt, apt-get.log."""

    def __init__(self, missing: list[str], npm: bool):
        self.root = Path(tempfile.mkdtemp(prefix="meetcore-apt-check-"))
        self.root.chmod(0o755)
        self.bin = self.root / "bin"
        self.bin.mkdir(mode=0o755)
        (self.root / "missing.txt").write_text("".join(f"{name}\n" for name in missing))
        (self.root / "apt-get.log").write_text("")
        (self.root / "apt-get.log").chmod(0o666)
        self._script("dpkg-query", FAKE_DPKG_QUERY)
        self._script("apt-get", FAKE_APT_GET)
        if npm:
            self._script("npm", "#!/bin/bash\n")
        for tool in TOOLS:
            (self.bin / tool).symlink_to(shutil.which(tool))

    def _script(self, name: str, text: str) -> None:
        path = self.bin / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IROTH)

    def run(self, package_list: Path, *, as_root: bool) -> subprocess.CompletedProcess:
        command = [str(self.bin / "bash"), str(SCRIPT), str(package_list)]
        if not as_root and os.geteuid() == 0:
            command = [
                shutil.which("setpriv"),
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                *command,
            ]
        env = {"PATH": str(self.bin), "LANG": "C.UTF-8"}
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)

    def apt_get_calls(self) -> list[str]:
        return (self.root / "apt-get.log").read_text().splitlines()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture()
def machine():
    made: list[FakeMachine] = []

    def make(missing: list[str], *, npm: bool = True) -> FakeMachine:
        made.append(FakeMachine(missing, npm))
        return made[-1]

    yield make
    for fake in made:
        fake.remove()


def _listed() -> list[str]:
    """The packages of .ci/apt-packages.txt, read here the simple way (one a line, # comments)."""
    lines = (REPO / ".ci" / "apt-packages.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _as_user_possible() -> bool:
    return os.geteuid() != 0 or shutil.which("setpriv") is not None


@pytest.mark.skipif(not _as_user_possible(), reason="running as root without setpriv")
def test_a_user_without_the_packages_gets_the_one_sudo_command_and_the_make_stops(machine):
    fake = machine(["libicu-dev", "nginx"], npm=False)
    done = fake.run(REPO / ".ci" / "apt-packages.txt", as_root=False)
    assert done.returncode != 0
    assert done.stdout == "sudo apt-get install -y --no-install-recommends libicu-dev nginx nodejs npm\n"
    assert "libicu-dev nginx nodejs npm" in done.stderr  # said in words too, on stderr
    assert fake.apt_get_calls() == []


@pytest.mark.skipif(not _as_user_possible(), reason="running as root without setpriv")
def test_every_package_of_the_list_is_checked_comments_and_blank_lines_skipped(machine):
    wanted = _listed()
    assert {"python3-venv", "libicu-dev", "chromium", "nginx"} <= set(wanted)
    fake = machine(wanted)
    done = fake.run(REPO / ".ci" / "apt-packages.txt", as_root=False)
    assert done.returncode != 0
    assert done.stdout.split() == ["sudo", "apt-get", "install", "-y", "--no-install-recommends", *wanted]


@pytest.mark.parametrize("as_root", [False, True])
def test_with_everything_installed_it_does_nothing(machine, as_root):
    if as_root and os.geteuid() != 0:
        pytest.skip("needs root")
    fake = machine([])
    done = fake.run(REPO / ".ci" / "apt-packages.txt", as_root=as_root)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert fake.apt_get_calls() == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_root_installs_the_missing_packages_non_interactively(machine):
    package_list = Path(tempfile.mkdtemp(prefix="meetcore-apt-list-")) / "packages.txt"
    package_list.write_text("# a comment\nmake\n\nlibicu-dev   # ICU for PyICU\npkg-config\n")
    fake = machine(["libicu-dev", "pkg-config"])
    done = fake.run(package_list, as_root=True)
    shutil.rmtree(package_list.parent)
    assert done.returncode == 0, done.stderr
    assert fake.apt_get_calls() == [
        "DEBIAN_FRONTEND=noninteractive update -qq",
        "DEBIAN_FRONTEND=noninteractive install -y -qq --no-install-recommends libicu-dev pkg-config",
    ]
