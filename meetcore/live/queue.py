"""The Redis message queue between app processes (python-socketio's RedisManager), made safe for a Redis
that is down or hung (issue 20).

Every emit is delivered to this process's own clients first, then published for the others. The publish
runs in the command's greenlet right after commit, so a frozen Redis would hold the acknowledgement until
Redis woke up (51.8 s in the issue's test). Here it goes through a client of its own that gives up after
MEETCORE_REDIS_TIMEOUT_MS and logs it: the command is answered, and the other processes' clients miss that
event. So that nobody stays silently stale, the queue's recovery is noticed and reported:

- the listener reconnects every RETRY_SECONDS while Redis is away (python-socketio's doubles its wait up to
  60 s, a minute of blindness after Redis is back);
- a watcher pings Redis every WATCH_SECONDS with the short timeout: it notices a frozen Redis, on which the
  listener just waits, and the publishes that failed meanwhile;
- once Redis answers again (or the listener has subscribed again), `on_recovery` runs (meetcore.live.heads:
  this process tells its own clients each meeting's newest seq, and they replay what they missed), and the
  watcher asks the other processes over the queue to do the same, for an outage only this one saw.

The listener keeps python-socketio's client: it waits on an idle channel for as long as it takes, so only its
connecting is timed."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

import redis
import socketio

from meetcore.config import redis_timeouts
from meetcore.live.placeholders import deliver_locally

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.5
WATCH_SECONDS = 1.0
HEADS_REQUEST = "meetcore.heads"  # a queue message of ours: "tell your clients the heads"
OURS = b'"meetcore.'  # in every queue message of ours (its method), rarely in python-socketio's


class MessageQueue(socketio.RedisManager):
    def __init__(self, url: str, channel: str, timeout_ms: int, on_recovery: Callable[[], None],
                 placeholder_interval: Callable[[], float],
                 on_request: Callable[[str, dict], None] = lambda method, request: None):  # fmt: skip
        timeouts = redis_timeouts(timeout_ms)
        self.placeholder_interval = placeholder_interval
        listening = {"socket_connect_timeout": timeouts["socket_connect_timeout"], "socket_keepalive": True}
        super().__init__(url, channel=channel, redis_options=listening)
        # One attempt, no retries with back-off: the acknowledgement waits for this call.
        self.publisher = redis.Redis.from_url(url, retry=None, **timeouts)
        self.on_recovery = on_recovery
        self.on_request = on_request  # another process's message of ours, but for the heads (answered here)
        self.troubled = False  # something failed since Redis last answered: announce once it answers

    def initialize(self) -> None:
        super().initialize()
        if not self.write_only:
            self.server.start_background_task(self._watch)

    def _publish(self, data) -> None:
        try:
            self.publisher.publish(self.channel, self.json.dumps(data))
        except redis.RedisError as error:
            self.troubled = True
            log.warning("message queue unreachable, not published to other processes: %s", error)

    def _handle_emit(self, message) -> None:
        """Deliver to this process's clients (its own emits and the other processes'), the participants'
        placeholders through meetcore.live.placeholders."""
        if message.get("callback") is not None:
            super()._handle_emit(message)
            return
        deliver_locally(self, message.get("event"), message.get("data"), message.get("room"),
                        lambda: super(MessageQueue, self)._handle_emit(message),
                        self.placeholder_interval())  # fmt: skip

    def _watch(self) -> None:
        while True:
            self.server.sleep(WATCH_SECONDS)
            try:
                self.publisher.ping()
            except redis.RedisError:
                self.troubled = True
                continue
            if self.troubled:
                self.troubled = False
                log.warning("message queue reachable again")
                self._ask_the_others()
                self.on_recovery()

    def _ask_the_others(self) -> None:
        self.tell_others(HEADS_REQUEST, {})

    def tell_others(self, method: str, request: dict) -> None:
        """Publish a message of ours (method "meetcore.*") to the other processes, once, with the short
        timeout: lost, like an event, when Redis does not answer."""
        try:
            self.publisher.publish(self.channel, self.json.dumps({"method": method, **request,
                                                                  "host_id": self.host_id}))  # fmt: skip
        except redis.RedisError:
            self.troubled = True

    def _redis_listen_with_retries(self):
        """python-socketio's loop, with a short constant wait between attempts instead of a doubling one."""
        failed = False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                if failed:  # subscribed again: what was published meanwhile is lost, the heads tell it
                    failed = False
                    self.on_recovery()
                yield from self.pubsub.listen()
            except Exception as error:
                if not failed:
                    log.warning("message queue listener lost Redis, retrying every %s s: %s",
                                RETRY_SECONDS, error)  # fmt: skip
                failed, self.troubled = True, True
                self._drop_listener_connection()
                time.sleep(RETRY_SECONDS)

    def _drop_listener_connection(self) -> None:
        with contextlib.suppress(Exception):  # it is broken already; only its socket is given back
            self.pubsub.close()

    def _listen(self):
        """The queue's messages for python-socketio, less ours: the heads requests (answered here) and the
        others (on_request, in a task of their own: the listener does not wait for what they do)."""
        for message in super()._listen():
            if isinstance(message, bytes) and OURS in message:
                request = self.json.loads(message)
                method = request.get("method")
                if isinstance(method, str) and method.startswith("meetcore."):
                    if request.get("host_id") != self.host_id:
                        self._answer(method, request)
                    continue
            yield message

    def _answer(self, method: str, request: dict) -> None:
        if method == HEADS_REQUEST:
            self.on_recovery()
        else:
            self.server.start_background_task(self.on_request, method, request)
