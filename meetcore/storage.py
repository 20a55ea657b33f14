"""Uploaded files (agenda documents, evidence attached to progress reports), kept under the instance folder
and never served from static/.

Each file gets a random name; the owning row keeps the original name, type, size and SHA-256. Only the
types a government office works with are taken, recognised by their extension *and* their first bytes (a
renamed executable is refused), and only up to the size the caller allows.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l

from meetcore.errors import InvalidInput

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
        limit = self.max_bytes()
        folder = self.directory()
        folder.mkdir(parents=True, exist_ok=True)
        key = f"{secrets.token_hex(16)}.{extension}"
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
            path.unlink(missing_ok=True)
            raise
        return StoredFile(key=key, name=name, content_type=content_type, size=size, sha256=digest.hexdigest())

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
