"""`meetcore backup DIR` and `meetcore restore DIR`: the database, the uploaded files and a manifest.

Consistent while a meeting is live: PostgreSQL's pg_dump reads one snapshot, SQLite's online backup API
copies the database in one step under one read transaction. Uploads are copied before and after the
database (files are written before the rows that name them commit, and never changed), so every file a
row of the snapshot names is in the backup. Recordings are listed in the manifest (name, size), not copied:
they are big and kept where Janus wrote them (docs/deploy.md says how to keep them).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from meetcore.errors import DomainError
from meetcore.extensions import db

MANIFEST = "manifest.json"
FORMAT = 1
UPLOADS = "attachments"  # under the instance folder (meetcore.storage)
CHUNK = 1024 * 1024


class BackupRefused(DomainError):
    code = "backup_refused"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.name.endswith(".part"))


def _database() -> tuple[str, str]:
    """(kind, address): ("postgresql", a libpq URL) or ("sqlite", the file's path)."""
    url = sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        return "postgresql", url.set(drivername="postgresql").render_as_string(hide_password=False)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return "sqlite", url.database
    raise BackupRefused(_l("Backups are made of PostgreSQL and SQLite file databases only."))


def _copy_uploads(source: Path, target: Path) -> None:
    for path in _files_under(source):
        copied = target / path.relative_to(source)
        if not copied.exists():
            copied.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copied)


def _dump(kind: str, address: str, folder: Path) -> str:
    if kind == "postgresql":
        name = "database.dump"
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", "--file", str(folder / name), address])
        return name
    name = "database.sqlite3"
    source, target = sqlite3.connect(address), sqlite3.connect(folder / name)
    try:
        with target:
            source.backup(target)  # all pages in one step: one consistent snapshot
    finally:
        source.close()
        target.close()
    return name


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupRefused(_l("%(command)s failed: %(reason)s", command=command[0],
                               reason=done.stderr.strip()[-500:]))  # fmt: skip


def _recordings() -> list[dict]:
    folder = Path(current_app.config.get("MEETCORE_VIDEO_RECORDINGS_DIR") or
                  Path(current_app.instance_path) / "recordings")  # fmt: skip
    if not folder.is_dir():
        return []
    return [{"path": path.relative_to(folder).as_posix(), "size": path.stat().st_size}
            for path in _files_under(folder)]  # fmt: skip


def _revision() -> str | None:
    with db.engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def backup(folder: Path) -> dict:
    """Write a backup into `folder` (new, or empty); its manifest is returned."""
    if folder.exists() and any(folder.iterdir()):
        raise BackupRefused(_l("The backup folder %(folder)s is not empty.", folder=str(folder)))
    kind, address = _database()
    uploads = Path(current_app.instance_path) / UPLOADS
    (folder / UPLOADS).mkdir(parents=True, exist_ok=True)
    _copy_uploads(uploads, folder / UPLOADS)  # before the snapshot: files deleted meanwhile are kept
    database = _dump(kind, address, folder)
    _copy_uploads(uploads, folder / UPLOADS)  # after it: files of rows that committed meanwhile
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": {"kind": kind, "file": database, "sha256": _sha256(folder / database),
                     "revision": _revision()},
        "uploads": [{"path": path.relative_to(folder / UPLOADS).as_posix(), "size": path.stat().st_size,
                     "sha256": _sha256(path)} for path in _files_under(folder / UPLOADS)],
        "recordings": _recordings(),
    }  # fmt: skip
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def _read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupRefused(_l("%(folder)s holds no readable backup manifest.", folder=str(folder))) from None
    if manifest.get("format") != FORMAT:
        raise BackupRefused(_l("This backup was made by another version of MeetCore."))
    return manifest


def _verify(folder: Path, manifest: dict) -> None:
    """Every file the manifest names is there with its checksum, before anything is changed."""
    expected = [(manifest["database"]["file"], manifest["database"]["sha256"])]
    expected += [(f"{UPLOADS}/{entry['path']}", entry["sha256"]) for entry in manifest["uploads"]]
    for name, sha256 in expected:
        path = folder / name
        if not path.is_file() or _sha256(path) != sha256:
            raise BackupRefused(_l("The backup's file %(name)s is missing or damaged.", name=name))


def _require_empty_database() -> None:
    with db.engine.connect() as connection:
        if sa.inspect(connection).get_table_names():
            raise BackupRefused(_l("Restore into an empty database: this one already has tables."))


def restore(folder: Path) -> dict:
    """Restore the backup in `folder` into this installation, whose database must be empty."""
    manifest = _read_manifest(folder)
    kind, address = _database()
    if manifest["database"]["kind"] != kind:
        raise BackupRefused(_l("This backup is of a %(kind)s database.", kind=manifest["database"]["kind"]))
    _verify(folder, manifest)
    _require_empty_database()
    db.engine.dispose()  # no connection of ours is open while the database is replaced
    source = folder / manifest["database"]["file"]
    if kind == "postgresql":
        _run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
              "--dbname", address, str(source)])  # fmt: skip
    else:
        reader, target = sqlite3.connect(source), sqlite3.connect(address)
        try:
            reader.backup(target)
        finally:
            reader.close()
            target.close()
    uploads = Path(current_app.instance_path) / UPLOADS
    for entry in manifest["uploads"]:
        target_path = uploads / entry["path"]
        target_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / UPLOADS / entry["path"], target_path)
    os.sync()
    return manifest
