"""The one transaction boundary (issue 19): services change rows and flush; the entry point that called them
commits once when it succeeded and rolls back once when it did not, as Indico's request handler does.

The entry points: an HTTP request (install_http below), a live command (meetcore.live.events.acknowledged),
a CLI command (transactional_cli below), and each step of a worker (``with unit_of_work():``). Only these,
and the workers named in tests/test_transaction_boundary.py, end a transaction.

Below every package: it knows only the session, so any module may ask for an after-commit reaction.
"""

from __future__ import annotations

import contextlib
import functools
import logging

import sqlalchemy as sa

from meetcore.extensions import db

log = logging.getLogger(__name__)

# session.info keys: reactions waiting for this transaction's commit, those whose commit happened, and a
# service's wish that what it wrote stays even when the entry point answers with a refusal.
PENDING_REACTIONS = "meetcore.after_commit_pending"
UNDOS = "meetcore.on_rollback"
READY_REACTIONS = "meetcore.after_commit_ready"
KEEP_ON_REFUSAL = "meetcore.keep_on_refusal"
# The request's WSGI environ: this request refused something, whatever it answers. Kept with the request,
# not in flask.g, whose app context may outlive one request (a test's, shared by its client's requests).
REFUSED = "meetcore.refused"


def after_commit(function, *args, **kwargs) -> None:
    """Run ``function(*args, **kwargs)`` once the entry point has committed the current transaction (a
    committed signal's receivers: a Janus room); dropped when it rolls back. Each reaction is its own
    unit of work: its trouble is logged and never undoes the change it reacts to."""
    db.session.info.setdefault(PENDING_REACTIONS, []).append((function, args, kwargs))


def on_rollback(function, *args) -> None:
    """Run ``function(*args)`` if the current transaction rolls back (a stored file nobody will refer to);
    it must not touch the database."""
    db.session.info.setdefault(UNDOS, []).append((function, args))


def keep_when_refused() -> None:
    """What the current transaction wrote so far stays even if the entry point then refuses (a wrong
    identity code's try counts). Only for writes that are themselves the point of the refusal."""
    db.session.info[KEEP_ON_REFUSAL] = True


def commit() -> None:
    """The entry point's one commit, then the reactions that waited for it."""
    _commit()
    run_reactions()


def _commit() -> None:
    """Commit what was begun. A session that began nothing (a join whose snapshot read nothing, a reaction
    that only set a timer) is settled as a commit would settle it, without one: SQLAlchemy would begin a
    transaction to commit it, two of them per participant's join (issue 18, item 5)."""
    if db.session().in_transaction():
        db.session.commit()  # (through the scoped session: a test may stand in for it there)
    else:
        _committed(db.session())


def reads_only() -> None:
    """The transaction about to start only reads (a seat's connect: its row comes with its check-in). On
    PostgreSQL its statements then run outside a transaction, with no BEGIN nor COMMIT round trip; the
    entry point's commit still ends it (and has nothing to send). Only where nothing is written: a write
    after this would commit on its own."""
    if db.session.get_bind().dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def refuse() -> None:
    """The entry point answers with a refusal (a DomainError): nothing the transaction wrote stays, but
    what a service asked to keep (keep_when_refused). Marks the HTTP request, so that a view that turns a
    refusal into a redirect or a form commits nothing afterwards either."""
    from flask import has_request_context, request

    if has_request_context():
        request.environ[REFUSED] = True
    if db.session.info.pop(KEEP_ON_REFUSAL, False):
        try:
            commit()
            return
        except Exception:  # noqa: BLE001  (the refusal is the answer; the kept write is lost with it)
            log.exception("keeping a refused transaction's writes failed")
    db.session.rollback()


def discard() -> None:
    """The entry point failed unexpectedly: everything the transaction wrote goes."""
    db.session.rollback()


@contextlib.contextmanager
def unit_of_work():
    """One entry point's transaction (or one step of a worker): committed when the block ends normally,
    refused on a DomainError, discarded on anything else or when the commit itself fails (a unique key
    another worker took meanwhile); the exception goes on."""
    from meetcore.errors import DomainError

    try:
        yield
    except DomainError:
        refuse()
        raise
    except BaseException:
        discard()
        raise
    try:
        _commit()
    except BaseException:
        discard()
        raise
    run_reactions()


def run_reactions() -> None:
    """The reactions whose transaction has committed, each committed on its own (a reaction may ask for
    further reactions: they run too)."""
    while ready := db.session.info.pop(READY_REACTIONS, None):
        for function, args, kwargs in ready:
            try:
                function(*args, **kwargs)
                _commit()
            except Exception:  # noqa: BLE001  (after the commit: logged, never undoing what was committed)
                db.session.rollback()
                log.exception("after-commit reaction %s failed", getattr(function, "__name__", function))


def _committed(session) -> None:
    pending = session.info.pop(PENDING_REACTIONS, None)
    if pending:
        session.info.setdefault(READY_REACTIONS, []).extend(pending)
    session.info.pop(KEEP_ON_REFUSAL, None)
    session.info.pop(UNDOS, None)


def _rolled_back(session, *_args) -> None:
    session.info.pop(PENDING_REACTIONS, None)
    session.info.pop(KEEP_ON_REFUSAL, None)
    for function, args in session.info.pop(UNDOS, None) or ():
        try:
            function(*args)
        except Exception:  # noqa: BLE001  (the rollback stands; what was left behind is logged)
            log.exception("undoing %s after a rollback failed", getattr(function, "__name__", function))


def install() -> None:
    if not sa.event.contains(db.session, "after_commit", _committed):
        sa.event.listen(db.session, "after_commit", _committed)
        sa.event.listen(db.session, "after_rollback", _rolled_back)


def install_http(app) -> None:
    """Every request ends its transaction once: a successful answer commits, an error answer (4xx/5xx) or
    a request that refused something rolls back. A commit that fails becomes the 500 page."""
    from flask import request

    @app.after_request
    def _end_transaction(response):
        if response.status_code < 400 and not request.environ.get(REFUSED):
            commit()
            return response
        try:
            refuse()
        except Exception:  # noqa: BLE001  (the answer is an error already: the database may be down)
            log.warning("rolling back after an error answer failed", exc_info=True)
        return response


def transactional(callback):
    """A CLI command's callback as one unit of work. A command that leaves through sys.exit or ctx.exit
    chose its exit status after its work (`meetcore mail ingest` exits 1 on a refused message it has
    logged): what it did is committed, as when it returns."""
    import click

    if getattr(callback, "_meetcore_transactional", False):
        return callback

    @functools.wraps(callback)
    def run(*args, **kwargs):
        chosen_exit = None
        with unit_of_work():
            try:
                return callback(*args, **kwargs)
            except (SystemExit, click.exceptions.Exit) as leaving:
                chosen_exit = leaving
        raise chosen_exit

    run._meetcore_transactional = True
    return run


def transactional_cli(command) -> None:
    """Every command under ``command`` (a click command or group) commits once or rolls back once."""
    import click

    if isinstance(command, click.Group):
        for sub in command.commands.values():
            transactional_cli(sub)
    elif command.callback is not None:
        command.callback = transactional(command.callback)
