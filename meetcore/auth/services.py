"""Accounts, passwords and API tokens."""

from __future__ import annotations

import hmac
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from meetcore import signals
from meetcore.auth.models import USER_ROLES, ApiToken, User
from meetcore.auth.permissions import require_admin
from meetcore.database import utcnow
from meetcore.errors import Conflict, InvalidInput, NotFound
from meetcore.extensions import db
from meetcore.live.connections import close_connections
from meetcore.live.models import LiveConnection
from meetcore.tokenlinks import hash_token
from meetcore.transaction import after_commit

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


def normalize_email(email: str, *, field: str = "email") -> str:
    """A syntactically valid address, lower-cased domain; no DNS look-up (we may be offline)."""
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(
            _l("“%(email)s” is not a valid e-mail address.", email=email), field=field
        ) from None


def create_user(
    email: str, *, role: str, password: str | None = None, display_name: str | None = None
) -> User:
    email = normalize_email(email)
    if role not in USER_ROLES:
        raise InvalidInput(_l("Unknown account role “%(role)s”.", role=role), field="role")
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email.lower())):
        raise Conflict(_l("An account with the e-mail %(email)s already exists.", email=email), field="email")
    user = User(email=email, role=role, display_name=display_name or email.split("@")[0])
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """A new password also ends every session signed in with the old one."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            _l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="password"
        )
    user.password_hash = _hasher.hash(password)
    end_sessions(user)


def session_id_for(user: User) -> str:
    """The id a new signed-in session of this account carries (Flask-Login's get_id)."""
    if not user.session_token:
        user.session_token = secrets.token_urlsafe(32)
        db.session.flush()
    return user.get_id()


def end_sessions(user: User) -> None:
    """Sign the account out everywhere: every session cookie and remember cookie issued so far stops
    working, on every app process (the check is against the database), and the live connections they
    opened close once the caller commits, and its studio leaves every meeting's video."""
    if user.session_token:
        after_commit(signals.access_withdrawn.send, None, kind="account", owner_id=user.id,
                     credentials=[user.session_token], by=user)  # fmt: skip
    user.session_token = secrets.token_urlsafe(32)
    close_connections(LiveConnection.user_id == user.id, LiveConnection.session_token.is_not(None))


def user_for_session_id(session_id: str) -> User | None:
    """The active account a session id names, while that session has not been ended."""
    user_id, _, token = (session_id or "").partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or not user.session_token:
        return None
    return user if hmac.compare_digest(token.encode(), user.session_token.encode()) else None


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None. Takes the same time for unknown e-mails."""
    user = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == (email or "").strip().lower())
    )
    stored = user.password_hash if user and user.password_hash else None
    try:
        ok = _hasher.verify(stored or _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if not (ok and stored and user.active):
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
        db.session.flush()
    return user


_DUMMY_HASH = _hasher.hash("not a real password, only spends the same time")


def user_by_email(email: str) -> User:
    user = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == (email or "").strip().lower())
    )
    if user is None:
        raise NotFound(_l("No account has the e-mail %(email)s.", email=email))
    return user


def create_api_token(user: User, label: str | None = None) -> str:
    """A new bearer token for the user; returned once, only its hash is stored."""
    token = "mc_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=hash_token(token), label=label))
    db.session.flush()
    return token


def user_for_api_token(token: str | None) -> User | None:
    if not token:
        return None
    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    return row.user


def revoke_api_tokens(user: User) -> int:
    """Withdraw every API token of the account; the live connections they opened close."""
    tokens = [t for t in user.tokens if t.revoked_at is None]
    for token in tokens:
        token.revoked_at = utcnow()
    close_connections(LiveConnection.api_token_hash.in_([token.token_hash for token in tokens]))
    db.session.flush()
    return len(tokens)


def set_active(user: User, active: bool, *, by) -> User:
    """Deactivate an account (it can no longer sign in, and every session, API token use and live
    connection of it ends at once) or reactivate it. Only an administrator (or `meetcore users` at the
    server's shell, meetcore.actors.SYSTEM_CLI), and never their own account."""
    require_admin(by)
    if by.id is not None and by.id == user.id and not active:
        raise Conflict(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        end_sessions(user)
        close_connections(LiveConnection.user_id == user.id)
    db.session.flush()
    return user
