"""Janus's HTTP API, as the app uses it on loopback: sessions, the VideoRoom plugin's synchronous requests,
and Janus's signed tokens (token_auth_secret: "expiry,janus,plugin[,plugin]:base64(HMAC-SHA1)").

No Flask here: the tests, the benchmarks and the demo use it too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable

VIDEOROOM = "janus.plugin.videoroom"


class JanusError(Exception):
    """Janus answered with an error, or could not be reached (code 0)."""

    def __init__(self, code: int, reason: str):
        self.code = code
        self.reason = reason
        super().__init__(f"janus error {code}: {reason}")


def signed_token(secret: str, ttl_seconds: int, plugins: tuple[str, ...] = (VIDEOROOM,), *, now=None) -> str:
    """A token Janus's core accepts until `ttl_seconds` from now, for these plugins only."""
    expiry = int((now if now is not None else time.time()) + ttl_seconds)
    data = ",".join([str(expiry), "janus", *plugins])
    signature = hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(signature).decode()}"


def token_expiry(token: str) -> int:
    return int(token.split(",", 1)[0])


class JanusServer:
    """One Janus's HTTP API (e.g. http://127.0.0.1:8088/janus)."""

    def __init__(self, url: str, *, token_secret: str, admin_key: str | None = None,
                 api_secret: str | None = None, timeout: float = 5.0,
                 before_request: Callable[[], None] | None = None):  # fmt: skip
        """`before_request`: called before each request to Janus (the app checks there that it holds no
        database lock while it waits for the answer)."""
        self.url = url.rstrip("/")
        self.before_request = before_request
        self.token_secret = token_secret
        self.admin_key = admin_key
        self.api_secret = api_secret
        self.timeout = timeout

    # --- transport ---

    def _post(self, path: str, body: dict, *, token: str | bool | None = None) -> dict:
        if self.before_request is not None:
            self.before_request()
        body = {**body, "transaction": secrets.token_hex(8)}
        if token is not False:  # False: no token at all (to see Janus refuse it)
            body["token"] = token if token is not None else signed_token(self.token_secret, 60)
        if self.api_secret:
            body["apisecret"] = self.api_secret
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise JanusError(0, f"{self.url} unreachable: {error}") from error
        if answer.get("janus") == "error":
            error = answer.get("error") or {}
            raise JanusError(int(error.get("code") or 0), str(error.get("reason") or "error"))
        return answer

    def info(self) -> dict:
        try:
            with urllib.request.urlopen(self.url + "/info", timeout=self.timeout) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise JanusError(0, f"{self.url} unreachable: {error}") from error

    def create_session(self, *, token: str | bool | None = None) -> int:
        return self._post("", {"janus": "create"}, token=token)["data"]["id"]

    def attach(self, session_id: int, plugin: str = VIDEOROOM, *, token: str | bool | None = None) -> int:
        answer = self._post(f"/{session_id}", {"janus": "attach", "plugin": plugin}, token=token)
        return answer["data"]["id"]

    def keepalive(self, session_id: int, *, token: str | bool | None = None) -> None:
        """Keep a session alive; JanusError 458 (no such session) once Janus has restarted since."""
        self._post(f"/{session_id}", {"janus": "keepalive"}, token=token)

    def destroy_session(self, session_id: int, *, token: str | bool | None = None) -> None:
        try:
            self._post(f"/{session_id}", {"janus": "destroy"}, token=token)
        except JanusError:
            pass

    def message(
        self, session_id: int, handle_id: int, body: dict, *, token: str | bool | None = None
    ) -> dict:
        """One plugin request; synchronous requests answer at once ("success"), others get "ack" and an
        event to fetch with a long poll (see poll_event)."""
        answer = self._post(f"/{session_id}/{handle_id}", {"janus": "message", "body": body}, token=token)
        if answer.get("janus") == "success":
            data = (answer.get("plugindata") or {}).get("data") or {}
            _raise_plugin_error(data)
            return data
        return answer

    def poll_event(
        self, session_id: int, *, token: str | bool | None = None, timeout: float = 10
    ) -> dict | None:
        """The next event of a session (long poll), or None when there was none."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            query = f"?maxev=1&rid={int(time.time() * 1000)}"
            if token is not None or self.token_secret:
                query += "&token=" + urllib.request.quote(token or signed_token(self.token_secret, 60))
            if self.api_secret:
                query += "&apisecret=" + urllib.request.quote(self.api_secret)
            try:
                with urllib.request.urlopen(f"{self.url}/{session_id}{query}", timeout=35) as response:
                    answer = json.loads(response.read())
            except (urllib.error.URLError, OSError, ValueError) as error:
                raise JanusError(0, f"{self.url} unreachable: {error}") from error
            if isinstance(answer, list):
                answer = answer[0] if answer else {}
            if answer.get("janus") == "keepalive":
                continue
            return answer
        return None

    # --- the VideoRoom, as the app drives it (its own short-lived session per call) ---

    def videoroom(self, body: dict) -> dict:
        session_id = self.create_session()
        try:
            handle_id = self.attach(session_id)
            return self.message(session_id, handle_id, body)
        finally:
            self.destroy_session(session_id)


def _raise_plugin_error(data: dict) -> None:
    if data.get("videoroom") == "event" and "error_code" in data:
        raise JanusError(int(data["error_code"]), str(data.get("error") or "videoroom error"))
    if "error_code" in data:
        raise JanusError(int(data["error_code"]), str(data.get("error") or "plugin error"))
