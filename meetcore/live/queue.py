"""The Redis message queue between app processes (python-socketio's RedisManager), made safe for a Redis
that is down or hung (issue 20).

Every emit is delivered to this process's own clients first, then published for the others. The publish
runs in the command's greenlet right after commit, so a frozen Redis would hold the acknowledgement until
Redis woke up (51.8 s in the issue's test). Here it goes through a client of its own that gives up after
MEETCORE_REDIS_TIMEOUT_MS and logs it: the command is answered, and the other processes' clients miss that
event until a later one shows them the gap (they then replay from the event log). The listener keeps
python-socketio's client: it waits on an idle channel for as long as it takes, so only its connecting is
timed."""

from __future__ import annotations

import logging

import redis
import socketio

from meetcore.config import redis_timeouts

log = logging.getLogger(__name__)


class MessageQueue(socketio.RedisManager):
    def __init__(self, url: str, channel: str, timeout_ms: int):
        timeouts = redis_timeouts(timeout_ms)
        listening = {"socket_connect_timeout": timeouts["socket_connect_timeout"], "socket_keepalive": True}
        super().__init__(url, channel=channel, redis_options=listening)
        # One attempt, no retries with back-off: the acknowledgement waits for this call.
        self.publisher = redis.Redis.from_url(url, retry=None, **timeouts)

    def _publish(self, data) -> None:
        try:
            self.publisher.publish(self.channel, self.json.dumps(data))
        except redis.RedisError as error:
            log.warning("message queue unreachable, not published to other processes: %s", error)
