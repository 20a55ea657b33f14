"""Who may do what. Services call these; views and the API never decide on their own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from meetcore.errors import PermissionDenied, Unauthenticated

EDITORS = frozenset({"admin", "secretariat"})
STAFF = frozenset({"admin", "secretariat", "chair"})


def _role(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def require_signed_in(user) -> None:
    if _role(user) is None:
        raise Unauthenticated()


def require_staff(user) -> None:
    """Reading the console: admin, secretariat and chair accounts."""
    require_signed_in(user)
    if _role(user) not in STAFF:
        raise PermissionDenied(_l("Only the secretariat and the chair can see this."))


def require_editor(user) -> None:
    """Changing meetings, agenda and roster: admin and secretariat accounts."""
    require_signed_in(user)
    if _role(user) not in EDITORS:
        raise PermissionDenied(_l("Only the secretariat can change meetings, agendas and rosters."))


def require_admin(user) -> None:
    require_signed_in(user)
    if _role(user) != "admin":
        raise PermissionDenied(_l("Only an administrator can do this."))


def can_edit(user) -> bool:
    return _role(user) in EDITORS
