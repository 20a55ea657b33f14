"""HTTP wiring shared by every domain: blueprints, error pages, the signed-in user, template helpers."""

from __future__ import annotations

from flask import (
    Flask,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from meetcore.errors import DomainError, Unauthenticated
from meetcore.extensions import login_manager
from meetcore.headers import init_headers
from meetcore.i18n.names import localized_name
from meetcore.transaction import discard, refuse

HTTP_MESSAGES = {
    400: _l("The request was not understood."),
    401: _l("Sign in or give a valid API token."),
    403: _l("You do not have permission to see this page."),
    404: _l("The page you asked for does not exist."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The file is too large."),
    422: _l("Some of the data given is not valid."),
    429: _l("Too many attempts. Wait a minute and try again."),
    500: _l("Something went wrong on our side. The secretariat has been told; try again shortly."),
    503: _l("MeetCore cannot reach its database just now; nothing was changed. Try again in a minute."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _register_blueprints(app: Flask) -> None:
    from meetcore.agenda.views import bp as agenda_bp
    from meetcore.auth.views import bp as auth_bp
    from meetcore.health.views import bp as health_bp
    from meetcore.live.views import bp as live_bp
    from meetcore.meetings.views import bp as meetings_bp
    from meetcore.seats.views import bp as seats_bp

    for blueprint in (auth_bp, meetings_bp, agenda_bp, seats_bp, health_bp, live_bp):
        app.register_blueprint(blueprint)
    # invitations and mail (issue 5): the console's invitations page, RSVP pages, calendar feeds
    from meetcore.invitations.views import bp as invitations_bp

    app.register_blueprint(invitations_bp)
    # attendance (issue 3): identity check, provincial sites, connection log
    from meetcore.attendance.views import bp as attendance_bp

    app.register_blueprint(attendance_bp)
    # official minutes and the attendance report (issue 6)
    from meetcore.reports.views import bp as reports_bp

    app.register_blueprint(reports_bp)
    # video (issue 4): join settings and tokens for browsers, janus.js, recordings
    from meetcore.video.views import bp as video_bp

    app.register_blueprint(video_bp)
    # action follow-up and search (issue 6): the dashboard, the agencies' pages and links; search
    from meetcore.actions.views import bp as actions_bp
    from meetcore.search.views import bp as search_bp

    app.register_blueprint(actions_bp)
    app.register_blueprint(search_bp)
    register_api(app)


def _error_response(status: int, message, error_code: str):
    if wants_json():
        return jsonify({"error": {"code": error_code, "message": str(message)}}), status
    return render_template("errors/error.html", status=status, message=message), status


def _webargs_error(error: HTTPException) -> DomainError:
    """flask-smorest's query/path validation failure, as our one translated error shape."""
    from marshmallow import ValidationError

    from meetcore.schemas import validation_error

    messages = error.data.get("messages") or {}
    # webargs nests by location ({"query": {...}}); the caller knows the location from the request.
    inner = {key: value for location in messages.values() for key, value in location.items()}
    return validation_error(ValidationError(inner or messages))


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        refuse()  # now, not only after the request: the error page reads from a clean session
        if wants_json():
            return jsonify({"error": error.as_dict()}), error.status
        if isinstance(error, Unauthenticated):
            return redirect(url_for("auth.login", next=request.full_path))
        return render_template("errors/error.html", status=error.status, message=error.message), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        if status == 422 and wants_json() and getattr(error, "data", None):
            return _domain_error(_webargs_error(error))
        code = (error.name or "error").lower().replace(" ", "_")
        return _error_response(status, HTTP_MESSAGES.get(status, error.description), code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        _roll_back_quietly()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if _database_unreachable(error):
            return _told_with_what_is_at_hand(503, "database_unavailable")
        return _told_with_what_is_at_hand(500, "internal_error")


def _roll_back_quietly() -> None:
    """Discard what the request did (meetcore.transaction); with the database gone even that fails, with
    nothing to undo."""
    try:
        discard()
    except Exception:  # noqa: BLE001  (the error page is the answer; the session is rebuilt per request)
        current_app.logger.warning("rollback failed after an error", exc_info=True)


def _database_unreachable(error: Exception) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)


def _told_with_what_is_at_hand(status: int, error_code: str):
    """An unexpected error told without asking anything that may be down (issue 20): the language from the
    visitor's session or the default (never the signed-in user, who would be read from the database), on a
    page that does not ask who is signed in."""
    from flask_babel import force_locale

    from meetcore.i18n.setup import locale_at_hand

    locale = locale_at_hand()
    if "_login_user" not in g:  # Flask-Login's template context would read the signed-in user
        g._login_user = login_manager.anonymous_user()
    with force_locale(locale):
        message = str(HTTP_MESSAGES[status])
        if wants_json():
            response = jsonify({"error": {"code": error_code, "message": message}})
        else:
            response = render_template(
                "errors/standalone.html", status=status, message=message, locale=locale
            )
    headers = {"Retry-After": "30"} if status == 503 else {}
    return response, status, headers


def _register_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_user(session_id: str):
        from meetcore.auth.services import user_for_session_id

        return user_for_session_id(session_id)  # an ended session (signed out, new password) is nobody


def init_web(app: Flask) -> None:
    from meetcore.auth.permissions import can_edit
    from meetcore.meetings.labels import status_label

    _register_login(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    init_headers(app)
    # Browsers ask for /favicon.ico whatever the page says; answered, not a 404 in every log.
    app.add_url_rule("/favicon.ico", "favicon", lambda: send_from_directory(
        app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400))  # fmt: skip
    app.jinja_env.globals["localized_name"] = localized_name
    app.jinja_env.globals["can_edit"] = can_edit
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.filters["localized"] = localized_name


def register_api(app: Flask) -> None:
    from meetcore.agenda.api import blp as agenda_blp
    from meetcore.directory.api import blp as directory_blp
    from meetcore.extensions import api
    from meetcore.meetings.api import blp as meetings_blp
    from meetcore.seats.api import blp as seats_blp

    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    from meetcore.attendance.api import blp as attendance_blp  # issue 3

    for blueprint in (directory_blp, meetings_blp, agenda_blp, seats_blp, attendance_blp):
        api.register_blueprint(blueprint)
    from meetcore.reports.api import blp as reports_blp  # issue 6: official minutes, attendance report

    api.register_blueprint(reports_blp)
    from meetcore.video.api import blp as video_blp  # issue 4: video rooms, placement, recordings

    api.register_blueprint(video_blp)
