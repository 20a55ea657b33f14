"""Flask-Babel wiring: Thai by default, the visitor's choice kept in the session."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, redirect, request, session, url_for
from flask_login import current_user

from meetcore.i18n import dates
from meetcore.redirects import same_site_path

LOCALES = ("th", "en")
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    from flask import current_app, has_request_context

    if not has_request_context():  # CLI, workers: the configured default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in LOCALES:
        return user_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def locale_at_hand(remembered: str | None = None) -> str:
    """The language to answer in when something may be down: the visitor's choice in the session, else a
    locale the caller remembered earlier (a live connection keeps its user's), else the default. Unlike
    select_locale it never loads the signed-in user, so an error can be told while the database is out."""
    from flask import current_app, has_request_context

    chosen = session.get("lang") if has_request_context() else None
    for candidate in (chosen, remembered):
        if candidate in LOCALES:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.route("/lang/<code>", methods=["POST", "GET"])
def switch_language(code: str):
    if code in LOCALES:
        session["lang"] = code
    # Only same-site paths: never an open redirect. The referrer is a full URL: its path is what counts.
    referrer = urlsplit(request.referrer or "")
    back = referrer._replace(scheme="", netloc="").geturl() if referrer.netloc == request.host else None
    target = same_site_path(request.values.get("next")) or same_site_path(back)
    return redirect(target or url_for("meetings.index"))


# The console's Thai typeface, served from the PyPI package (no system font, no CDN).
FONT_FILES = ("Sarabun-Regular.ttf", "Sarabun-Italic.ttf", "Sarabun-SemiBold.ttf", "Sarabun-Bold.ttf")


@bp.get("/fonts/<name>")
def font(name: str):
    import fontpkg_sarabun
    from flask import abort, send_from_directory

    if name not in FONT_FILES:
        abort(404)
    return send_from_directory(fontpkg_sarabun.ROOT / "files", name, max_age=30 * 24 * 3600)


def init_i18n(app: Flask, babel) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["be_date"] = dates.be_date
    app.jinja_env.filters["be_date_long"] = dates.be_date_long
    app.jinja_env.filters["be_datetime"] = dates.be_datetime
    app.jinja_env.filters["local_time"] = dates.local_time
    app.jinja_env.filters["typed_date"] = dates.typed_date
    app.register_blueprint(bp)

    @app.context_processor
    def _locale_context():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "locales": LOCALES}
