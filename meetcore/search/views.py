"""The secretariat's search page. Thin: meetcore.search.services decides and searches."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from meetcore.auth.permissions import require_staff
from meetcore.search import services

bp = Blueprint("search", __name__)


@bp.get("/search")
@login_required
def index():
    require_staff(current_user)
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("kind") or None
    page = request.args.get("page", "")
    results = services.search(
        q,
        by=current_user,
        kind=kind if kind in services.KINDS else None,
        page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
        per_page=current_app.config["MEETCORE_PAGE_SIZE"],
    )
    return render_template("search/index.html", results=results, page=results.page, q=q, kinds=services.KINDS)
