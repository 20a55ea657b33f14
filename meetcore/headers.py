"""Browser hardening on every response: a Content-Security-Policy whose scripts are this site's files and
inline blocks carrying the request's nonce, no framing, no MIME sniffing, no referrer (with its join-link
token) leaving the site (issue 13)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

_PAIRED_SCHEME = {"https": "wss", "http": "ws", "wss": "https", "ws": "http"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csp_nonce() -> str:
    """This request's script nonce (templates: nonce="{{ csp_nonce() }}" on an inline <script>)."""
    # Kept in the request's environ: one per request even where an app context outlives it.
    if "meetcore.csp_nonce" not in request.environ:
        request.environ["meetcore.csp_nonce"] = secrets.token_urlsafe(18)
    return request.environ["meetcore.csp_nonce"]


def _video_origins() -> list[str]:
    """Janus servers that browsers reach directly (absolute JANUS_PUBLIC_URL entries), as http and ws."""
    origins = set()
    for url in (current_app.config.get("MEETCORE_JANUS_PUBLIC_URL") or "").split(","):
        parts = urlsplit(url.strip())
        if parts.scheme and parts.netloc:
            paired = _PAIRED_SCHEME.get(parts.scheme, parts.scheme)
            origins |= {f"{parts.scheme}://{parts.netloc}", f"{paired}://{parts.netloc}"}
    return sorted(origins)


def content_security_policy(nonce: str) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        # Style attributes are everywhere in the templates and carry no script: allowed inline.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:", "mediastream:"],
        "connect-src": ["'self'", *_video_origins()],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _harden(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    return response


def init_headers(app: Flask) -> None:
    app.after_request(_harden)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
