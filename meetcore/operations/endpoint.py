"""GET /metrics: the Prometheus text format, for the addresses in MEETCORE_METRICS_ALLOW or a bearer
MEETCORE_METRICS_TOKEN; plus what is counted at the moment of the scrape from the database (the outbox,
the open video rooms), from Janus (the publishers in those rooms) and the pool of this process."""

from __future__ import annotations

import hmac
import ipaddress
import time

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from meetcore.extensions import csrf, db
from meetcore.operations import metrics

bp = Blueprint("operations", __name__)
csrf.exempt(bp)


class DatabaseCollector:
    """Counted in the database at scrape time, so the same from whichever process answers."""

    def collect(self):
        from meetcore.mail.models import OutboxMessage
        from meetcore.video.models import VideoRoom

        outbox = GaugeMetricFamily("meetcore_outbox_messages", "Outbox messages by status", labels=["status"])
        by_status = sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        rows = db.session.execute(by_status)
        for status, count in rows:
            outbox.add_metric([status], count)
        yield outbox
        rooms = GaugeMetricFamily("meetcore_video_rooms_open", "Open Janus video rooms by server",
                                  labels=["server"])  # fmt: skip
        rows = db.session.execute(
            sa.select(VideoRoom.server_url, sa.func.count()).where(VideoRoom.closed_at.is_(None))
            .group_by(VideoRoom.server_url)
        )  # fmt: skip
        for server, count in rows:
            rooms.add_metric([server], count)
        yield rooms
        yield self._publishers()

    def _publishers(self) -> GaugeMetricFamily:
        from meetcore.video.services import publishers_by_server

        publishers = GaugeMetricFamily("meetcore_video_publishers", "Participants publishing at Janus in the "
                                       "open rooms, by server", labels=["server"])  # fmt: skip
        for server, count in publishers_by_server().items():
            publishers.add_metric([server], count)
        return publishers


def _allowed(address: str | None, allowed: str) -> bool:
    try:
        client = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    for entry in filter(None, (part.strip() for part in allowed.split(","))):
        try:
            if client in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _may_read() -> bool:
    token = current_app.config.get("MEETCORE_METRICS_TOKEN")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given.encode(), str(token).encode()):
        return True
    return _allowed(request.remote_addr, current_app.config.get("MEETCORE_METRICS_ALLOW") or "")


@bp.get("/metrics")
def scrape():
    if not _may_read():
        abort(403)
    registry = CollectorRegistry()
    if metrics.multiprocess_dir():
        metrics.forget_dead_processes()
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    output = generate_latest(registry) + generate_latest(_database_registry())
    return Response(output, mimetype=CONTENT_TYPE_LATEST)


def _database_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    return registry


def _watch_pool(app: Flask) -> None:
    """This process's pool in use, kept up to date by the pool's own events."""
    with app.app_context():
        engine = db.engine
    if sa.event.contains(engine, "checkout", _checked_out):
        return
    sa.event.listen(engine, "checkout", _checked_out)
    sa.event.listen(engine, "checkin", _checked_in)
    size = getattr(engine.pool, "size", None)
    if callable(size):
        metrics.POOL_SIZE.labels(metrics.PROCESS).set(size())


def _checked_out(*_args) -> None:
    metrics.POOL_CHECKED_OUT.labels(metrics.PROCESS).inc()


def _checked_in(*_args) -> None:
    metrics.POOL_CHECKED_OUT.labels(metrics.PROCESS).dec()


def init_metrics(app: Flask) -> None:
    app.register_blueprint(bp)
    _watch_pool(app)
    metrics.forget_dead_processes()

    @app.before_request
    def _started() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _answered(response):
        started = g.pop("metrics_started", None)
        if started is not None and request.endpoint != "operations.scrape":
            metrics.HTTP_SECONDS.observe(time.perf_counter() - started)
            metrics.HTTP_REQUESTS.labels(f"{response.status_code // 100}xx").inc()
        return response
