"""Token links: addresses that open one thing without signing in. A seat's personal join link
(meetcore.seats.links), a provincial hall's site link (meetcore.attendance.sites) and an agency's follow-up
link (meetcore.actions.grants) live the same life, kept here once: a random token handed out once, of
which only the SHA-256 is stored; looked up by that hash; refused once withdrawn or past its expiry.

Each domain keeps what is its own: its table (with the columns ``token_hash``, ``expires_at`` and
``revoked_at``), the refusals worded for whoever holds its link, who may issue and withdraw, the events
recorded and what an open link lets in. The pages a link opens are rate-limited per link by
meetcore.link_limits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from meetcore.database import utcnow
from meetcore.errors import DomainError, InvalidInput
from meetcore.extensions import db
from meetcore.i18n.dates import be_datetime

TOKEN_BYTES = 32
# Ours are 43 characters; anything far longer is refused before it is hashed or looked up.
LONGEST_TOKEN = 200


def hash_token(token: str) -> str:
    """What is stored of a token, and what it is looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def require_future_expiry(expires_at: datetime) -> None:
    """InvalidInput (field expires_at) unless the expiry is a time-zone-aware time still to come."""
    if expires_at.tzinfo is None:
        raise InvalidInput(_l("The expiry time must carry a time zone."), field="expires_at")
    if expires_at <= utcnow():
        raise InvalidInput(
            _l("The link would already have expired (%(when)s). Give a later expiry time.",
               when=be_datetime(expires_at)), field="expires_at",
        )  # fmt: skip


class LinkRefused(DomainError):
    """A token link that opens nothing. Each domain words the three refusals for whoever holds its link,
    as subclasses of these (the codes and statuses are the same for every link)."""


class LinkUnknown(LinkRefused):
    code = "link_unknown"
    status = 403


class LinkRevoked(LinkRefused):
    code = "link_revoked"
    status = 410


class LinkExpired(LinkRefused):
    code = "link_expired"
    status = 410

    @classmethod
    def on(cls, when: str) -> LinkExpired:
        """The refusal of a link that expired ``when`` (a date, as text), in words that name it where the
        domain has them."""
        return cls()


def is_live(link, now: datetime | None = None) -> bool:
    """Whether a link row would open now: neither withdrawn nor expired."""
    return link.revoked_at is None and link.expires_at > (now or utcnow())


class TokenLinks:
    """One domain's links: its table and the refusals its holders read."""

    def __init__(
        self,
        model,
        unknown: type[LinkUnknown],
        revoked: type[LinkRevoked],
        expired: type[LinkExpired],
    ) -> None:
        self.model = model
        self.unknown = unknown
        self.revoked = revoked
        self.expired = expired

    def issue(self, **columns):
        """A new link row with ``columns`` (flushed, so it has its id) and its token, returned once:
        (link, token)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        link = self.model(token_hash=hash_token(token), **columns)
        db.session.add(link)
        db.session.flush()
        return link, token

    def open(self, token, *options):
        """The link row a token opens (loaded with the ``options``); the domain's refusals otherwise."""
        if not isinstance(token, str) or not token or len(token) > LONGEST_TOKEN:
            raise self.unknown()
        link = db.session.scalars(
            sa.select(self.model).options(*options).where(self.model.token_hash == hash_token(token))
        ).first()
        self.require_live(link)
        return link

    def columns_query(self, *columns, join=None) -> sa.Select:
        """The given columns of the link row a token opens (the table's, or those of the ``join`` (target, on)
        clause's table), with revoked_at and expires_at, the token's hash a bind parameter: built once by the
        caller for open_columns (a path every connection takes builds no statement). Table columns, not the
        model's attributes: a statement of the model's goes through the ORM's loading on every run (about
        half of its cost when a connection opens)."""
        table = self.model.__table__
        query = sa.select(table.c.revoked_at, table.c.expires_at, *columns)
        if join is not None:
            query = query.join(*join)
        return query.where(table.c.token_hash == sa.bindparam("token_hash"))

    def open_columns(self, token, query: sa.Select):
        """The row of ``query`` (columns_query's) for the link a token opens, as one plain row: no ORM object
        is built. The domain's refusals as open() gives them."""
        if not isinstance(token, str) or not token or len(token) > LONGEST_TOKEN:
            raise self.unknown()
        row = db.session.execute(query, {"token_hash": hash_token(token)}).first()
        self.require_live(row)
        return row

    def require_live(self, link) -> None:
        """Nothing when the link row (None: no such link) would open now; the domain's refusal otherwise."""
        if link is None:
            raise self.unknown()
        if link.revoked_at is not None:
            raise self.revoked()
        if link.expires_at <= utcnow():
            raise self.expired.on(be_datetime(link.expires_at))

    def working(self, now: datetime):
        """The SQL condition of the links that would open at ``now``."""
        return sa.and_(self.model.revoked_at.is_(None), self.model.expires_at > now)

    def revoke(self, *where, expired_too: bool = True) -> list:
        """Withdraw the links matching ``where`` not withdrawn yet (``expired_too`` False: only those that
        still work); returns them. Flushed."""
        now = utcnow()
        condition = self.model.revoked_at.is_(None) if expired_too else self.working(now)
        links = db.session.scalars(sa.select(self.model).where(condition, *where)).all()
        for link in links:
            link.revoked_at = now
        db.session.flush()
        return list(links)

    def count_working(self, *where) -> int:
        """How many links matching ``where`` would open now."""
        return db.session.scalar(
            sa.select(sa.func.count(self.model.id)).where(self.working(utcnow()), *where)
        )
