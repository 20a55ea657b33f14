"""Sign in and sign out."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from meetcore.auth.services import authenticate, end_sessions, session_id_for
from meetcore.extensions import limiter
from meetcore.redirects import same_site_path

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None, user=None) -> str:
    if path := same_site_path(target):
        return path
    if user is not None and user.role == "participant":  # an agency's focal point: its action items
        return url_for("actions.my_assignments")
    return url_for("meetings.index")


def _login_limit() -> str:
    return current_app.config["MEETCORE_LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next"), current_user))
    email = request.form.get("email", "")
    if request.method == "POST":
        user = authenticate(email, request.form.get("password", ""))
        if user is not None:
            session_id_for(user)
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(_safe_next(request.form.get("next"), user))
        flash(_("The e-mail or password is not correct."), "error")
        return render_template("auth/login.html", email=email, next=request.form.get("next")), 401
    return render_template("auth/login.html", email=email, next=request.args.get("next"))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        end_sessions(current_user)  # committed by the request
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
