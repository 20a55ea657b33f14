"""Behind nginx: trusting its X-Forwarded-* headers, and letting it send uploads and recordings.

The app keeps every access check: a download's view decides who may read the file and calls send_file as
always. With MEETCORE_ACCEL_REDIRECT_PREFIX set, Flask only names the file (USE_X_SENDFILE) and this module
turns that name into an `X-Accel-Redirect` to nginx's internal location, so that the app process never
streams the bytes. A file outside the instance folder and the recordings folder (Debian's janus.js, the
bundled font) is streamed by the app as before.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import wrap_file

SENDFILE = "X-Sendfile"


def init_proxy(app: Flask) -> None:
    """Trust MEETCORE_PROXY_HOPS proxies: the client's address (rate limits, the decree's connection log)
    and the scheme come from their headers, never from a client that sets them itself."""
    hops = int(app.config.get("MEETCORE_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def init_accel_redirect(app: Flask) -> None:
    if app.config.get("MEETCORE_ACCEL_REDIRECT_PREFIX"):
        app.config["USE_X_SENDFILE"] = True
        app.after_request(_accel_redirect)


def served_roots() -> dict[str, Path]:
    """Folders nginx serves under the prefix: name -> folder (deploy/nginx/meetcore.conf's /_files/)."""
    config = current_app.config
    recordings = config.get("MEETCORE_VIDEO_RECORDINGS_DIR") or Path(current_app.instance_path) / "recordings"
    return {"instance": Path(current_app.instance_path).resolve(), "recordings": Path(recordings).resolve()}


def accel_uri(path: Path) -> str | None:
    """The internal URI nginx serves `path` from, or None when nginx does not serve its folder."""
    prefix = current_app.config["MEETCORE_ACCEL_REDIRECT_PREFIX"].rstrip("/")
    resolved = path.resolve()
    for name, root in served_roots().items():
        if resolved.is_relative_to(root):
            return f"{prefix}/{name}/{quote(resolved.relative_to(root).as_posix())}"
    return None


def _accel_redirect(response: Response) -> Response:
    path = response.headers.pop(SENDFILE, None)
    if path is None or response.status_code == 304:  # a 304 has no body to send
        return response
    uri = accel_uri(Path(path))
    if uri is not None:
        response.headers["X-Accel-Redirect"] = uri
        response.headers["Content-Length"] = "0"  # nginx sends the file; the app's own answer is empty
        return response
    # Not under a folder nginx serves: the app sends the bytes itself after all.
    response.response = wrap_file(request.environ, open(path, "rb"))  # noqa: SIM115  (closed by the server)
    response.direct_passthrough = True
    return response
