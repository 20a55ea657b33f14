"""Rate limits of the pages a personal link opens (join, identity check, replies, provincial hall, agency
follow-up): counted per link, not per address.

A province's officials often reach us from one government network address (one office, or a whole
ministry network behind one gateway): a limit of 60 a minute per address tripped when they opened their
invitations together. So each link has its own budget (what one person's browser needs, however often
reloaded), and one address gets a shared budget over all link pages far above what an office generates:
it stops a flood from one machine, not an office at work. Both are settings (meetcore/config.py).
"""

from __future__ import annotations

from flask import current_app, request

from meetcore.extensions import limiter
from meetcore.tokenlinks import hash_token

LINK_PAGES_SCOPE = "link-pages"


def link_key() -> str:
    """The link a request came through (a hash: the token itself is a secret and stays out of storage)."""
    token = str((request.view_args or {}).get("token") or "")
    return "link:" + hash_token(token)[:32]


def _per_link() -> str:
    return current_app.config["MEETCORE_LINK_RATE_LIMIT"]


def _per_address() -> str:
    return current_app.config["MEETCORE_LINK_ADDRESS_RATE_LIMIT"]


_address_ceiling = limiter.shared_limit(_per_address, scope=LINK_PAGES_SCOPE)


def link_limit(per_link=_per_link):
    """A view's limits: ``per_link`` (a limit string, or the LINK_RATE_LIMIT setting) per link token, and
    the per-address ceiling shared by every link page."""
    per_token = limiter.limit(per_link, key_func=link_key)

    def decorate(view):
        return per_token(_address_ceiling(view))

    return decorate
