"""The production stack of deploy/, started without systemd: the commands of the systemd units with the
settings of the environment files (paths and ports moved into a temporary folder), behind Debian's nginx
running the site file of deploy/nginx with a throwaway certificate."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

from tests.live.servers import free_port

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
INSTALLED_MEETCORE = "/opt/meetcore/.venv/bin/meetcore"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines (systemd's EnvironmentFile), comments and blank lines skipped."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def unit_settings(unit: str) -> tuple[list[str], list[str]]:
    """(ExecStart split into words, the EnvironmentFile paths) of one of deploy/systemd's units."""
    text = (DEPLOY / "systemd" / unit).read_text()
    command = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE).group(1)
    return shlex.split(command), re.findall(r"^EnvironmentFile=(.+)$", text, re.MULTILINE)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)  # fmt: skip
    return cert, key


class Unit:
    """One systemd unit's ExecStart, run as a plain process with its EnvironmentFile settings."""

    def __init__(self, unit: str, env_files: dict[str, dict[str, str]], folder: Path, instance: str = ""):
        words, files = unit_settings(unit)
        self.name = f"{unit.removesuffix('.service').rstrip('@')}{instance}"
        assert words[0] == INSTALLED_MEETCORE, words
        installed = str(Path(sys.executable).parent / "meetcore")  # this checkout's, in place of /opt's
        self.command = [installed, *(word.replace("%i", instance) for word in words[1:])]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MEETCORE_")}
        for path in files:
            self.env.update(env_files[path])
        self.folder, self.log_path = folder, folder / f"{self.name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Unit:
        log = open(self.log_path, "ab")  # noqa: SIM115  (kept open for the process's life)
        self.process = subprocess.Popen(self.command, env=self.env, cwd=self.folder, stdout=log,
                                        stderr=subprocess.STDOUT)  # fmt: skip
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def wait_for_url(url: str, what: str, unit: Unit | None = None, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if unit is not None and not unit.running():
            raise RuntimeError(f"{what} exited: {unit.log()}")
        with suppress(OSError):
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url}: {unit.log() if unit else ''}")


class Nginx:
    """Debian's nginx as a plain process: its own prefix, main configuration and logs; the site file of
    deploy/nginx with its ports and paths replaced."""

    def __init__(self, folder: Path, replacements: dict[str, str]):
        self.folder = folder
        self.https_port, self.http_port = free_port(), free_port()
        site = (DEPLOY / "nginx" / "meetcore.conf").read_text()
        site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.MULTILINE)  # no IPv6 on every machine
        site = site.replace("listen 443 ", f"listen 127.0.0.1:{self.https_port} ")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
        for old, new in replacements.items():
            assert old in site, f"{old} is not in deploy/nginx/meetcore.conf"
            site = site.replace(old, new)
        (folder / "meetcore.conf").write_text(site)
        user = "user root;\n" if os.geteuid() == 0 else ""  # the workers read the test's temporary files
        kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        temp = "".join(f"    {kind}_temp_path {folder / kind};\n" for kind in kinds)
        (folder / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} info;\n"
            "events { worker_connections 1024; }\n"
            "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            f"    access_log {folder / 'access.log'};\n{temp}"
            f"    include {folder / 'meetcore.conf'};\n}}\n"
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> Nginx:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(binary):
            raise RuntimeError("nginx is not installed (Debian package `nginx`, .ci/apt-packages.txt)")
        command = [binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), "-e",
                   str(self.folder / "error.log")]  # fmt: skip
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        return self

    def log(self) -> str:
        with suppress(OSError):
            return (self.folder / "error.log").read_text()[-3000:]
        return ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
