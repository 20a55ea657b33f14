"""Commands carried out once (issue 20): a command may carry `client_id`, a string the client makes per
action of the person (the browser: crypto.randomUUID()) and sends again on every retry of that action.

The first time, a receipt (who sent it, the id) is claimed before the command runs, in the command's own
transaction: it commits with the change and its answer, once (meetcore.live.events.acknowledged, issue 19),
or not at all. A retry whose first attempt committed finds the receipt and gets the answer stored there,
without the command running again; a twin arriving while the first is still running waits on the receipt's
unique key and then finds it, answer included. A command that asks Janus before it writes claims its
receipt with its change instead (no write may wait for Janus): its twin runs too, and whichever claims
second is discarded and answers the first's acknowledgement. A command that was refused (an error) leaves
no receipt: nothing changed, so running it again is safe.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from meetcore import transaction
from meetcore.actors import SeatActor, SiteActor
from meetcore.database import utcnow
from meetcore.errors import Conflict, InvalidInput
from meetcore.extensions import db
from meetcore.live.models import CommandReceipt

CLIENT_ID_FIELD = "client_id"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{8,64}")
# A retry comes within seconds; a day leaves room for a laptop that slept, and keeps the table small.
KEPT_FOR = timedelta(days=1)


def split_client_id(data):
    """The command's payload without `client_id`, and that id (None when absent): the schemas never see it."""
    if not isinstance(data, dict) or CLIENT_ID_FIELD not in data:
        return data, None
    data = dict(data)
    client_id = data.pop(CLIENT_ID_FIELD)
    if client_id is None:
        return data, None
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise InvalidInput(_l("client_id must be 8 to 64 letters, digits or - _ . :"), field=CLIENT_ID_FIELD)
    return data, client_id


def actor_key(actor) -> str:
    if isinstance(actor, SiteActor):
        return f"site:{actor.site_link_id}"
    if isinstance(actor, SeatActor):
        return f"seat:{actor.seat_id}"
    return f"user:{actor.id}"


def run_once(
    actor, client_id: str, command: str, run: Callable[[], dict], *, claim_first: bool = True
) -> dict:
    """The acknowledgement of `command`: stored from an earlier attempt with this client_id, or got by
    running it now (then stored with its change). Without `claim_first` (a command that asks Janus before
    its first write: the claim is a write, and no write may wait for Janus), the receipt is claimed with the
    change: a twin attempt may run too, and the one that claims second is discarded, its change with it."""
    key = actor_key(actor)
    stored = _stored(key, client_id)
    if stored is not None:
        return _answer_of(key, client_id, stored, command)
    receipt = CommandReceipt(actor_key=key, client_id=client_id, command=command)
    if not claim_first:
        try:
            receipt.answer = run()
        except IntegrityError:  # a twin wrote the same rows first: its answer, once it has committed
            transaction.discard()
            return _answer_of(key, client_id, _stored(key, client_id), command)
    db.session.add(receipt)
    try:
        db.session.flush()  # the claim: a twin attempt running now waits here until this one ends
    except IntegrityError:  # the twin committed first: what this attempt wrote goes with its transaction
        transaction.discard()
        return _answer_of(key, client_id, _stored(key, client_id), command)
    if claim_first:
        receipt.answer = run()
        db.session.flush()
    return receipt.answer


def _stored(key: str, client_id: str) -> CommandReceipt | None:
    mine = sa.and_(CommandReceipt.actor_key == key, CommandReceipt.client_id == client_id)
    return db.session.scalars(sa.select(CommandReceipt).where(mine)).one_or_none()


def _answer_of(key: str, client_id: str, receipt: CommandReceipt | None, command: str) -> dict:
    if receipt is not None and receipt.command != command:
        raise InvalidInput(_l("This client_id was used for another action."), field=CLIENT_ID_FIELD)
    # The receipt commits in one transaction with the change and its answer (issue 19): a receipt found has
    # its answer. None: the twin that held the key failed meanwhile.
    if receipt is None or receipt.answer is None:
        raise Conflict(_l("This action is still being carried out or failed; look, then try again."))
    return receipt.answer


def purge_receipts(now: datetime | None = None) -> int:
    """Forget receipts older than KEPT_FOR (the heartbeat calls this); the count removed."""
    cutoff = (now or utcnow()) - KEPT_FOR
    done = db.session.execute(sa.delete(CommandReceipt).where(CommandReceipt.created_at < cutoff))
    return done.rowcount or 0
