"""Every MEETCORE_* setting, its default and its type, in one place.

The README's settings table is generated from SETTINGS (``meetcore settings``) so the two cannot drift.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("MEETCORE_INSTANCE_DIR", Path.cwd() / "instance"))


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str
    kind: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None, "SQLAlchemy database URL; default a SQLite file instance/meetcore.sqlite3"),
    Setting("SECRET_KEY", None, "Key that signs sessions and tokens; default a random key kept in instance/"),
    Setting(
        "BASE_URL", None, "Public address used in links in e-mails and exports; default http://HOST:PORT"
    ),
    Setting("HOST", "127.0.0.1", "Address `meetcore run` listens on"),
    Setting("PORT", "5000", "Port `meetcore run` listens on", int),
    Setting("DEFAULT_LOCALE", "th", "Language for visitors who have not chosen one (th or en)"),
    Setting("TIMEZONE", "Asia/Bangkok", "Time zone in which times are shown and entered"),
    Setting("REDIS_URL", None, "Redis URL; when set, rate limits and Socket.IO messages go through Redis"),
    Setting("SOCKETIO_CHANNEL", "meetcore", "Redis channel the app processes of one installation share"),
    Setting(
        "REDIS_TIMEOUT_MS",
        "500",
        "Longest wait for Redis on one call; past it Redis counts as down (rate limits go on in memory)",
        int,
    ),
    Setting(
        "ASYNC_MODE", "gevent", "Socket.IO server mode: gevent (production) or threading (tests, debugging)"
    ),
    Setting(
        "MINUTES_TEXT_INTERVAL_MS", "500", "Participants get a minutes block's text at most this often", int
    ),
    Setting(
        "MINUTES_COMPACT_UPDATES", "100", "Compact a minutes block's CRDT log past this many updates", int
    ),
    Setting("MINUTES_COMPACT_BYTES", "65536", "... or past this many bytes", int),
    Setting(
        "PLACEHOLDER_INTERVAL_MS", "1000",
        "Participants get the placeholders of staff-only events (a vote's count) as one, at most this often",
        int,
    ),  # fmt: skip
    Setting(
        "REPLAY_LIMIT", "1000", "Most events replayed to a reconnecting client before a fresh snapshot", int
    ),
    Setting("LOGIN_RATE_LIMIT", "10 per minute", "Sign-in attempts allowed per address"),
    Setting("LINK_RATE_LIMIT", "60 per minute", "Requests allowed per personal link (join, reply, site)"),
    Setting(
        "LINK_ADDRESS_RATE_LIMIT",
        "3000 per minute",
        "Requests to link pages allowed per address (a whole office or network shares one)",
    ),
    Setting("PAGE_SIZE", "25", "Rows per page in console lists", int),
    Setting("SESSION_COOKIE_SECURE", "0", "1 to send the session cookie over HTTPS only", int),
    Setting("MAIL_ORGANIZER", "secretariat@example.org", "Mailbox named as organizer in invitations"),
    Setting("SMTP_HOST", None, "SMTP server for outgoing mail; unset keeps mail in the outbox"),
    Setting("SMTP_PORT", "25", "SMTP port", int),
    # --- mail and invitations (meetcore/mail, meetcore/invitations; see docs/mail.md) ---
    Setting("SMTP_SECURITY", "none", "none, starttls (upgrade a plain connection) or ssl (TLS throughout)"),
    Setting("SMTP_USERNAME", None, "SMTP user name; with SMTP_PASSWORD the sender signs in (AUTH)"),
    Setting("SMTP_PASSWORD", None, "SMTP password"),
    Setting("SMTP_TIMEOUT", "30", "Seconds to wait for the SMTP server before giving up on a batch", int),
    Setting("MAIL_FROM", None, "From address and bounce address of outgoing mail; default MAIL_ORGANIZER"),
    Setting("MAIL_BATCH_SIZE", "1000", "Messages sent over one SMTP connection per batch", int),
    Setting("MAIL_MAX_ATTEMPTS", "10", "Temporary (4xx) failures before a message is marked failed", int),
    Setting("MAIL_RETRY_SECONDS", "60", "Delay before the first retry after a 4xx answer; doubles", int),
    Setting("MAIL_RETRY_MAX_SECONDS", "3600", "Longest delay between two retries", int),
    Setting(
        "MAIL_CLAIM_TIMEOUT",
        "30",
        "Seconds a sender's lease on its batch lasts unless renewed; then another sender takes it over",
        int,
    ),
    Setting(
        "MAIL_IN_DOUBT",
        "resend",
        "A message whose sender died during its transfer: resend (at least once) or hold (at most once)",
    ),
    Setting("MAIL_SEND_INTERVAL", "30", "Seconds between outbox runs of the looping sender", int),
    Setting("MAIL_REPLY_LISTEN", "127.0.0.1:8024", "host:port where `meetcore mail listen` takes replies"),
    Setting("MAIL_REPLY_PROTOCOL", "lmtp", "lmtp or smtp: what `meetcore mail listen` speaks"),
    Setting(
        "MAIL_REPLY_MAX_KB", "1024", "Largest calendar reply read (`mail listen`, `mail ingest`), in KiB", int
    ),
    Setting(
        "MAIL_TRUST_AUTH_RESULTS",
        None,
        "Comma-separated authserv-ids of your mail servers whose Authentication-Results replies must pass",
    ),
    Setting("REMINDERS", "1d,30m", "Reminder e-mails before a meeting, e.g. 1d,30m (d, h, m); empty: none"),
    # --- attendance (meetcore/attendance) ---
    Setting("LATE_GRACE_MINUTES", "15", "Minutes after start (before end) a join (leave) is on time", int),
    Setting("BOARD_INTERVAL_MS", "500", "Least time between two live attendance board updates", int),
    Setting(
        "BOARD_SEATS_PER_INTERVAL", "250",
        "A bigger room's board waits a BOARD_INTERVAL_MS per this many seats present (up to 10); 0: never",
        int,
    ),  # fmt: skip
    Setting(
        "HEARTBEAT_SECONDS", "10",
        "App process heartbeat; a process silent for 3 beats is judged stopped and its intervals closed", int,
    ),  # fmt: skip
    # --- following actions up (meetcore/actions) ---
    Setting("ACTION_REMINDER_DAYS", "7,1", "Days before an action is due that its owners are reminded"),
    Setting("ACTION_ATTACHMENT_MAX_MB", "5", "Largest file attached to a progress report, in MB", int),
    Setting("AGENDA_DOCUMENT_MAX_MB", "25", "Largest document of an agenda item, in MB", int),
    Setting("AGENDA_PDF_IN_APP", "1",
            "1: the process that took an office file's upload makes its PDF; 0: only the conversion worker",
            int),
    Setting("AGENDA_PDF_LEASE_SECONDS", "300",
            "A conversion claimed this long ago (LibreOffice stops at 120 s) is judged dead and done again",
            float),
    Setting("AGENDA_PDF_INTERVAL", "10", "Seconds between two rounds of `meetcore agenda convert --loop`",
            float),
    Setting("AGENCY_LINK_DAYS", "180", "Days an agency's follow-up link works after it is issued", int),
    # --- video (meetcore/video: Janus VideoRoom; README "Video") ---
    Setting("JANUS_URLS", None, "Janus HTTP API addresses (loopback), comma-separated; unset: no video"),
    Setting("JANUS_PUBLIC_URL", "/janus-ws", "Janus for browsers; a path: its WebSocket proxied here"),
    Setting("JANUS_TOKEN_SECRET", None, "Janus token_auth_secret: signs browsers' short-lived tokens"),
    Setting("JANUS_ADMIN_KEY", None, "Janus VideoRoom admin_key: creates rooms (never sent to browsers)"),
    Setting("JANUS_API_SECRET", None, "Janus api_secret, when the Janus servers have one"),
    Setting("JANUS_ADMIN_SECRET", None, "Janus Admin API secret (the local Janus of `make demo` uses it)"),
    Setting("JANUS_RTP_PORT_RANGE", "20000-40000", "Media (RTP/ICE) ports of the demo's local Janus"),
    Setting("JANUS_WATCH_SECONDS", "3", "Each app process checks every Janus this often; 0: never", float),
    Setting("VIDEO_TOKEN_TTL", "3600",
            "Seconds a page's video token is valid (renewed before, on the same connection)", int),
    Setting("VIDEO_FLOOR_CHECK_SECONDS", "5",
            "Seconds between two checks of the rooms' publishers against the floor", int),
    Setting("VIDEO_TALKING_LEVEL", "40", "Active speaker: average audio level over -N dBov", int),
    Setting("VIDEO_RECORD", "1", "1 to record every meeting's publishers at Janus (decree), 0 not to", int),
    Setting("VIDEO_RECORDINGS_DIR", None, "Where Janus writes recordings; default instance/recordings"),
    Setting("VIDEO_RECORDING_SIZE", "640x360", "Picture size of a meeting's composed recording (WxH)"),
    Setting("VIDEO_RECORDING_FPS", "15", "Frames per second of a meeting's composed recording", int),
    Setting("VIDEO_RECORDING_BITRATE", "500k", "Video bitrate of a meeting's composed recording (VP8)"),
    Setting("VIDEO_RECORDING_LEASE_SECONDS", "120",
            "A recording worker silent this long is judged dead and its recording built again", int),
    Setting("VIDEO_RECORDING_IN_APP", "1",
            "1: the process that ended a meeting composes its recording; 0: only the recording worker", int),
    Setting("VIDEO_RECORDING_INTERVAL", "30", "Seconds between two rounds of `meetcore video compose --loop`",
            float),
    Setting("TURN_URLS", None, "TURN servers for browsers, comma-separated (turn:host:3478?transport=udp)"),
    Setting("TURN_SECRET", None, "coturn static-auth-secret: the app mints time-limited TURN credentials"),
    # --- production (meetcore/operations; deploy/, docs/deploy.md) ---
    Setting("PROXY_HOPS", "0", "Proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are trusted", int),
    Setting("ACCEL_REDIRECT_PREFIX", None, "Path under which nginx sends uploads and recordings (X-Accel)"),
    Setting("METRICS_ALLOW", "127.0.0.1,::1", "Addresses or networks that may read /metrics"),
    Setting("METRICS_TOKEN", None, "Bearer token that may read /metrics from any address"),
    Setting("LOG_FORMAT", "text", "text, or json: one JSON object a line with its request or command id"),
    Setting("LOG_LEVEL", "INFO", "Least level logged: DEBUG, INFO, WARNING, ERROR"),
)


def _value(setting: Setting) -> object:
    raw = os.environ.get("MEETCORE_" + setting.name, setting.default)
    if raw is None:
        return None
    return setting.kind(raw)


def _secret_key() -> str:
    key_file = INSTANCE_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def from_environment() -> dict[str, object]:
    """Flask config built from the environment (MEETCORE_*)."""
    values = {s.name: _value(s) for s in SETTINGS}
    database_url = values["DATABASE_URL"] or f"sqlite:///{INSTANCE_DIR / 'meetcore.sqlite3'}"
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship.
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    values["BASE_URL"] = values["BASE_URL"] or f"http://{values['HOST']}:{values['PORT']}"
    config: dict[str, object] = {f"MEETCORE_{k}": v for k, v in values.items()}
    config.update(
        SQLALCHEMY_DATABASE_URI=database_url,
        SECRET_KEY=values["SECRET_KEY"] or _secret_key(),
        BABEL_DEFAULT_LOCALE=values["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=values["TIMEZONE"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(values["SESSION_COOKIE_SECURE"]),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=bool(values["SESSION_COOKIE_SECURE"]),
        RATELIMIT_HEADERS_ENABLED=True,
        API_TITLE="MeetCore API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
    )
    config.update(_rate_limit_storage(values["REDIS_URL"], values["REDIS_TIMEOUT_MS"]))
    return config


def redis_timeouts(timeout_ms: int) -> dict[str, float]:
    """Socket options of a Redis client whose calls must fail fast: a dead Redis refuses at once, but a
    frozen one (a hung host) would hold the request until the kernel gave up (issue 20)."""
    seconds = timeout_ms / 1000
    return {"socket_timeout": seconds, "socket_connect_timeout": seconds}


def _rate_limit_storage(redis_url: str | None, timeout_ms: int) -> dict[str, object]:
    """Rate limits count in Redis when there is one, so that every process shares them. While Redis is down
    they count in this process's memory instead (Flask-Limiter logs the switch and checks Redis again with
    back-off): a sign-in or a join link must never fail because its counter is out of reach."""
    if not redis_url:
        return {"RATELIMIT_STORAGE_URI": "memory://"}
    return {
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_STORAGE_OPTIONS": redis_timeouts(timeout_ms),
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
    }
