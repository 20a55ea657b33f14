"""The one family of domain errors that services raise.

Views flash them, the API turns them into ``{"error": {"code", "message"}}`` with the matching HTTP
status, and socket handlers acknowledge them; the message is always translated for the reader.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = _l("The request could not be carried out.")

    def __init__(self, message=None, *, field: str | None = None, details: dict | None = None):
        self.message = message if message is not None else self.default_message
        self.field = field
        self.details = details or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        error = {"code": self.code, "message": str(self.message)}
        if self.field:
            error["field"] = self.field
        if self.details:
            error["details"] = self.details
        return error


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422
    default_message = _l("Some of the data given is not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _l("Not found.")


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    default_message = _l("You do not have permission to do this.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _l("This conflicts with existing data.")


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    default_message = _l("Sign in or give a valid API token.")


class ConfirmationRequired(InvalidInput):
    """The input can be meant but is unlikely (a meeting years away, a due date already past): it is
    carried out only when sent again with the confirmation named in ``details["confirm"]`` set."""

    code = "confirmation_required"
    status = 422
    default_message = _l("Please confirm this value.")
