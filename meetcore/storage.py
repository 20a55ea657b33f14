"""Uploaded files (agenda documents, evidence attached to progress reports), kept under the instance folder
and never served from static/.

Each file gets a random name; the owning row keeps the original name, type, size and SHA-256. Only the
types a government office works with are taken, recognised by their extension *and* their first bytes (a
renamed executable is refused), and only up to the size the caller allows.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import tempfile
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l

from meetcore.errors import DomainError, InvalidInput

# extension → (content type, magic prefixes the file must start with)
ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
OFFICE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    "odp": ("application/vnd.oasis.opendocument.presentation", ZIP),
    "doc": ("application/msword", OLE),
    "xls": ("application/vnd.ms-excel", OLE),
    "ppt": ("application/vnd.ms-powerpoint", OLE),
}
CHUNK = 64 * 1024


class StorageRefused(DomainError):
    """The server's disk refused to keep a file; the user is told which way, and that nothing was kept."""


class StorageFull(StorageRefused):
    code = "storage_full"
    status = 507
    default_message = _l(
        "The server has no room left to keep this file; nothing was saved. Tell the system administrator."
    )


class StorageUnwritable(StorageRefused):
    code = "storage_unwritable"
    status = 503
    default_message = _l(
        "The server cannot write files at the moment; nothing was saved. Tell the system administrator."
    )


NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
CANNOT_WRITE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def disk_refusal(error: OSError) -> StorageRefused | None:
    """What a failed write means to its user (a full disk, a disk that cannot be written), or None for an
    error that says nothing of the disk: that one stays the internal error it is."""
    if error.errno in NO_ROOM:
        return StorageFull()
    if error.errno in CANNOT_WRITE:
        return StorageUnwritable()
    return None


def write_atomically(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: into a temporary file beside it, renamed over it once complete, so a
    full disk never leaves a truncated file (or spoils the one that was there)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


@dataclass
class StoredFile:
    key: str  # the file's name in its folder
    name: str  # the name it was uploaded with (cleaned)
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class FileStore:
    """One folder of uploads under the instance folder, with its size limit (a MEETCORE_*_MAX_MB setting)."""

    folder: str
    max_mb_setting: str
    field: str = "file"

    def directory(self) -> Path:
        return Path(current_app.instance_path) / "attachments" / self.folder

    def max_bytes(self) -> int:
        return int(current_app.config[self.max_mb_setting]) * 1024 * 1024

    def store(self, stream: BinaryIO, filename: str | None) -> StoredFile:
        """Check and keep one uploaded file; InvalidInput (nothing kept) when its type or size is refused."""
        name = clean_name(filename)
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        if extension not in OFFICE_TYPES:
            raise InvalidInput(
                _l("Attach a file of one of these types: %(types)s.", types=allowed_extensions()),
                field=self.field,
            )
        content_type, magics = OFFICE_TYPES[extension]
        key = f"{secrets.token_hex(16)}.{extension}"
        try:
            size, sha256 = self._write(stream, key, magics)
        except OSError as error:
            refusal = disk_refusal(error)
            if refusal is None:
                raise
            refusal.field = self.field
            raise refusal from error
        return StoredFile(key=key, name=name, content_type=content_type, size=size, sha256=sha256)

    def _write(self, stream: BinaryIO, key: str, magics: tuple[bytes, ...]) -> tuple[int, str]:
        """Copy the stream into the file `key`, checking size and type on the way: (size, SHA-256). No
        file is left behind when anything fails."""
        extension, limit = key.rpartition(".")[2], self.max_bytes()
        folder = self.directory()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / key
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with open(path, "xb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        message = _l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024))
                        raise InvalidInput(message, field=self.field)
                    if len(head) < 16:
                        head += chunk[: 16 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise InvalidInput(_l("The attached file is empty."), field=self.field)
            if not any(head.startswith(magic) for magic in magics):
                raise InvalidInput(
                    _l("The file's content is not a .%(ext)s file.", ext=extension), field=self.field
                )
        except BaseException:
            with suppress(OSError):  # a disk that cannot be written may not let it be removed either
                path.unlink(missing_ok=True)
            raise
        return size, digest.hexdigest()

    def path_of(self, key: str) -> Path:
        """The stored file of a key (keys are ours: hex and an extension, never a path)."""
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError("not a stored file's key")
        return self.directory() / key

    def discard(self, key: str | None) -> None:
        if key:
            self.path_of(key).unlink(missing_ok=True)


def clean_name(filename: str | None) -> str:
    """The last path component, without control characters, at most 200 characters (extension kept)."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip().strip(".")
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 199 - len(extension)] + dot + extension) if dot else name[:200]
    return name or "attachment"


def allowed_extensions() -> str:
    return ", ".join(sorted(OFFICE_TYPES))
