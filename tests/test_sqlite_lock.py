"""SQLite under gevent (meetcore/database.py): a writer that waits for another's lock lets the rest of the
process run. SQLite's own wait sleeps inside the library and stops every greenlet, the lock's holder too:
a command that called Janus between its first write and its commit could not finish, and every other
writer in that window failed with "database is locked" after the whole wait (the video browser test under
load). Run in a process of its own: gevent's monkey patching must come before everything else."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from gevent import monkey

monkey.patch_all()

import sys

import gevent
import sqlalchemy as sa

import meetcore.database  # noqa: F401 (its engine events)

engine = sa.create_engine(f"sqlite:///{sys.argv[1]}")
with engine.begin() as connection:
    connection.execute(sa.text("CREATE TABLE t (who TEXT)"))
done = []


def holder():
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO t VALUES ('holder')"))  # the write lock, held
        gevent.sleep(1.0)  # waiting on another service (Janus) before the commit
    done.append("holder")


def writer():
    gevent.sleep(0.2)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO t VALUES ('writer')"))
    done.append("writer")


gevent.joinall([gevent.spawn(holder), gevent.spawn(writer)], raise_error=True)
with engine.connect() as connection:
    rows = connection.execute(sa.text("SELECT who FROM t ORDER BY rowid")).scalars().all()
print(done, rows)
"""


def test_a_writer_waits_for_the_lock_while_its_holder_goes_on(tmp_path):
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "lock.sqlite3")],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "['holder', 'writer'] ['holder', 'writer']", result.stdout
