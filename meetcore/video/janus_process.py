"""A local Janus with a generated configuration: for `make demo`, the tests and the benchmarks.

Only the VideoRoom plugin and the HTTP (and, optionally, WebSocket) transports are loaded; the HTTP API and
the Admin API listen on loopback; browsers need signed tokens (token_auth with token_auth_secret); room
creation needs the VideoRoom admin key. Production runs Janus as a system service with the same settings
(README, "Video").
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

JANUS_BINARY = os.environ.get("MEETCORE_JANUS_BINARY", "janus")
JANUS_LIB_DIRS = ("/usr/lib/x86_64-linux-gnu/janus", "/usr/lib/aarch64-linux-gnu/janus", "/usr/lib/janus",
                  "/usr/local/lib/janus", "/opt/janus/lib/janus")  # fmt: skip


def janus_binary() -> str | None:
    """The janus executable, or None when Janus is not installed (Debian package `janus`)."""
    return shutil.which(JANUS_BINARY) or (JANUS_BINARY if os.path.isfile(JANUS_BINARY) else None)


def janus_lib_dir() -> Path | None:
    for candidate in JANUS_LIB_DIRS:
        if (Path(candidate) / "plugins" / "libjanus_videoroom.so").exists():
            return Path(candidate)
    return None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _link_only(source: Path, target: Path, names: list[str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        link = target / name
        if not link.exists():
            link.symlink_to(source / name)


@dataclass
class JanusConfig:
    """What the generated janus.jcfg and its plugin and transport files say."""

    directory: Path
    token_secret: str
    admin_key: str
    admin_secret: str
    http_port: int = 0
    admin_port: int = 0
    ws_port: int | None = None  # the WebSocket transport, for browsers behind a same-origin proxy
    http_host: str = "127.0.0.1"
    rtp_port_range: str = "20000-40000"
    ice_interface: str | None = None  # e.g. the veth address in the end-to-end test
    nat_1_1: str | None = None
    stun: str | None = None
    extra_general: dict = field(default_factory=dict)

    def __post_init__(self):
        self.directory = Path(self.directory)
        self.http_port = self.http_port or free_port()
        self.admin_port = self.admin_port or free_port()

    @property
    def http_url(self) -> str:
        return f"http://{self.http_host}:{self.http_port}/janus"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}/admin"

    def write(self) -> Path:
        lib = janus_lib_dir()
        if lib is None:
            raise RuntimeError("Janus's plugins are not installed (Debian package `janus`)")
        configs = self.directory / "etc"
        configs.mkdir(parents=True, exist_ok=True)
        _link_only(lib / "plugins", self.directory / "plugins", ["libjanus_videoroom.so"])
        transports = ["libjanus_http.so"] + (["libjanus_websockets.so"] if self.ws_port else [])
        _link_only(lib / "transports", self.directory / "transports", transports)
        (self.directory / "events").mkdir(exist_ok=True)
        (self.directory / "loggers").mkdir(exist_ok=True)
        ice = [f'ice_enforce_list = "{self.ice_interface}"'] if self.ice_interface else []
        nat = [f'nat_1_1_mapping = "{self.nat_1_1}"'] if self.nat_1_1 else []
        if self.stun:
            host, _, port = self.stun.partition(":")
            nat += [f'stun_server = "{host}"', f"stun_port = {port or 3478}"]
        extra = [f"{key} = {_value(value)}" for key, value in self.extra_general.items()]
        (configs / "janus.jcfg").write_text(
            "general: {\n"
            f'  configs_folder = "{configs}"\n'
            f'  plugins_folder = "{self.directory / "plugins"}"\n'
            f'  transports_folder = "{self.directory / "transports"}"\n'
            f'  events_folder = "{self.directory / "events"}"\n'
            f'  loggers_folder = "{self.directory / "loggers"}"\n'
            "  debug_level = 4\n"
            "  token_auth = true\n"
            f'  token_auth_secret = "{self.token_secret}"\n'
            f'  admin_secret = "{self.admin_secret}"\n'
            "  session_timeout = 60\n"
            "  protected_folders = []\n" + "".join(f"  {line}\n" for line in extra) + "}\n"
            "media: {\n"
            f'  rtp_port_range = "{self.rtp_port_range}"\n'
            "}\n"
            "nat: {\n"
            "  nice_debug = false\n"
            '  ice_ignore_list = "vmnet"\n' + "".join(f"  {line}\n" for line in ice + nat) + "}\n"
            "plugins: {\n}\n"
            "transports: {\n}\n"
            "events: {\n  broadcast = false\n}\n"
            "loggers: {\n}\n"
        )
        (configs / "janus.plugin.videoroom.jcfg").write_text(
            f'general: {{\n  admin_key = "{self.admin_key}"\n  lock_rtp_forward = true\n}}\n'
        )
        (configs / "janus.transport.http.jcfg").write_text(
            "general: {\n"
            '  json = "plain"\n  base_path = "/janus"\n  http = true\n'
            f'  port = {self.http_port}\n  ip = "{self.http_host}"\n  https = false\n'
            "}\n"
            "admin: {\n"
            '  admin_base_path = "/admin"\n  admin_http = true\n'
            f'  admin_port = {self.admin_port}\n  admin_ip = "127.0.0.1"\n  admin_https = false\n'
            "}\n"
            "cors: {\n}\n"
        )
        if self.ws_port:
            (configs / "janus.transport.websockets.jcfg").write_text(
                'general: {\n  json = "plain"\n  ws = true\n'
                f'  ws_port = {self.ws_port}\n  ws_ip = "127.0.0.1"\n  wss = false\n'
                "}\nadmin: {\n  admin_ws = false\n  admin_wss = false\n}\n"
            )
        return configs / "janus.jcfg"


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f'"{value}"'


def _die_with_parent() -> None:
    """In the child before exec: Linux sends Janus SIGTERM when the process that started it dies, however
    it dies (Ctrl-C, SIGTERM, SIGKILL), so no Janus outlives its demo or its test run."""
    import ctypes

    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class JanusProcess:
    """One Janus process on a generated configuration; start() waits until its HTTP API answers."""

    def __init__(self, config: JanusConfig):
        self.config = config
        self.process: subprocess.Popen | None = None
        self.log_path = config.directory / "janus.log"

    def start(self, timeout: float = 20) -> JanusProcess:
        binary = janus_binary()
        if binary is None:
            raise RuntimeError("Janus is not installed (Debian package `janus`)")
        jcfg = self.config.write()
        log = open(self.log_path, "ab")  # noqa: SIM115  (kept open for the process's life)
        self.process = subprocess.Popen(
            [binary, "-C", str(jcfg), "-F", str(jcfg.parent), "-o"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"janus exited: {self.log_tail()}")
            with suppress(OSError):
                with urllib.request.urlopen(self.config.http_url + "/info", timeout=1) as response:
                    if response.status == 200:
                        return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"janus did not start: {self.log_tail()}")

    def log_tail(self, size: int = 3000) -> str:
        with suppress(OSError):
            return self.log_path.read_text(errors="replace")[-size:]
        return ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
