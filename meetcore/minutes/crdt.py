"""The minutes' collaborative document: a Yjs document (pycrdt here, Yjs in the browser) holding one
Y.Text named ROOT. This module only knows about bytes: it rebuilds a document from stored updates, checks
that an update from a browser is one the document can take whole, and reads the plain text; and it keeps
the documents of the blocks this process wrote last (DocumentCache), each valid for one revision.

Updates are Yjs v1 updates (``Y.encodeStateAsUpdate`` / the ``update`` event of a Y.Doc).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import pycrdt

# The one shared type of a minutes document; the browser's editor uses doc.getText(ROOT).
ROOT = "minutes"


class MalformedUpdate(ValueError):
    """The bytes are not a Yjs v1 update, or not one of a minutes document."""


class UnintegratedUpdate(ValueError):
    """The update depends on changes the document does not have (the sender is out of step)."""


def _read_varuint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data):
            raise MalformedUpdate("truncated variable-length integer")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 70:
            raise MalformedUpdate("variable-length integer too long")


class _Reader:
    """Reads the pieces of lib0's binary encoding (as Yjs writes v1 updates), refusing anything else."""

    MAX_INT = 2**53  # Yjs clocks and lengths are JavaScript numbers
    MAX_DEPTH = 32

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def done(self) -> bool:
        return self.pos == len(self.data)

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise MalformedUpdate("unexpected end of update")
        self.pos += 1
        return self.data[self.pos - 1]

    def uint(self) -> int:
        value, self.pos = _read_varuint(self.data, self.pos)
        if value > self.MAX_INT:
            raise MalformedUpdate("number out of range")
        return value

    def bytes(self, length: int) -> bytes:
        if self.pos + length > len(self.data):
            raise MalformedUpdate("unexpected end of update")
        self.pos += length
        return self.data[self.pos - length : self.pos]

    def string(self) -> str:
        try:
            return self.bytes(self.uint()).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedUpdate("string is not UTF-8") from None

    def any(self, depth: int = 0) -> None:
        if depth > self.MAX_DEPTH:
            raise MalformedUpdate("value nested too deeply")
        kind = self.byte()
        if kind in (127, 126, 121, 120):  # undefined, null, false, true
            return
        if kind == 125:  # signed variable-length integer
            while self.byte() & 0x80:
                pass
        elif kind == 124:
            self.bytes(4)
        elif kind in (123, 122):
            self.bytes(8)
        elif kind == 119:
            self.string()
        elif kind == 118:
            for _ in range(self.uint()):
                self.string()
                self.any(depth + 1)
        elif kind == 117:
            for _ in range(self.uint()):
                self.any(depth + 1)
        elif kind == 116:
            self.bytes(self.uint())
        else:
            raise MalformedUpdate("unknown value type")


# Content of an item, by the low five bits of its info byte (Yjs contentRefs).
_XML_ELEMENT, _XML_HOOK = 3, 5


def _read_content(reader: _Reader, ref: int) -> None:
    if ref == 1:  # deleted
        reader.uint()
    elif ref == 2:  # JSON
        for _ in range(reader.uint()):
            reader.string()
    elif ref == 3:  # binary
        reader.bytes(reader.uint())
    elif ref in (4, 5):  # string, embed
        reader.string()
    elif ref == 6:  # format: key, value
        reader.string()
        reader.string()
    elif ref == 7:  # shared type
        if reader.uint() in (_XML_ELEMENT, _XML_HOOK):
            reader.string()
    elif ref == 8:  # any
        for _ in range(reader.uint()):
            reader.any()
    elif ref == 9:  # sub-document
        reader.string()
        reader.any()
    else:
        raise MalformedUpdate("unknown content type")


# What the minutes' Y.Text may hold: characters, and the characters deleted from it. The editor writes
# nothing else; anything else (a map entry, an embed, a nested type) would be kept but never shown.
_TEXT_CONTENT = (1, 4)


def check_update(update: bytes) -> None:
    """Refuse (MalformedUpdate) bytes that are not exactly one Yjs v1 update of plain text: every struct
    and the delete set must decode, nothing may follow them, and every item is text (no map entry, no
    embed, format or nested type) — also under the minutes' own root name."""
    reader = _Reader(update)
    for _ in range(reader.uint()):  # clients with structs
        structs = reader.uint()
        reader.uint()  # client
        reader.uint()  # first clock
        for _ in range(structs):
            info = reader.byte()
            ref = info & 0x1F
            if ref in (0, 10):  # GC, skip: a length
                reader.uint()
                continue
            if info & 0x80:  # origin (left)
                reader.uint(), reader.uint()
            if info & 0x40:  # right origin
                reader.uint(), reader.uint()
            if not info & 0xC0:  # no origin: the parent is given
                if reader.uint():
                    reader.string()  # a root type's name
                else:
                    reader.uint(), reader.uint()  # the parent item's id
                if info & 0x20:
                    raise MalformedUpdate("update adds a map entry to the minutes text")
            if ref not in _TEXT_CONTENT:
                raise MalformedUpdate("update adds something other than text to the minutes")
            _read_content(reader, ref)
    for _ in range(reader.uint()):  # delete set
        reader.uint()  # client
        for _ in range(reader.uint()):
            reader.uint(), reader.uint()  # clock, length
    if not reader.done():
        raise MalformedUpdate("bytes after the end of the update")


def decode_state_vector(state: bytes) -> dict[int, int]:
    """A Yjs state vector (client id → next clock) from its v1 encoding."""
    clients, pos = _read_varuint(state, 0)
    vector = {}
    for _ in range(clients):
        client, pos = _read_varuint(state, pos)
        clock, pos = _read_varuint(state, pos)
        vector[client] = clock
    return vector


def _unknown_deletions(remainder: bytes, vector: dict[int, int]) -> bool:
    """Whether the delete set of ``remainder`` (an update with no structs) removes what the document
    lacks. ``remainder`` starts with the struct count (0), then the delete set."""
    pos = 1
    clients, pos = _read_varuint(remainder, pos)
    for _ in range(clients):
        client, pos = _read_varuint(remainder, pos)
        ranges, pos = _read_varuint(remainder, pos)
        for _ in range(ranges):
            clock, pos = _read_varuint(remainder, pos)
            length, pos = _read_varuint(remainder, pos)
            if clock + length > vector.get(client, 0):
                return True
    return False


@dataclass
class MinutesDocument:
    """One block's document, rebuilt from its stored state and the updates logged since."""

    doc: pycrdt.Doc

    @classmethod
    def from_updates(cls, updates: Iterable[bytes | None]) -> MinutesDocument:
        doc = pycrdt.Doc()
        doc.get(ROOT, type=pycrdt.Text)
        for update in updates:
            if update:
                doc.apply_update(update)
        return cls(doc)

    @classmethod
    def from_text(cls, text: str) -> MinutesDocument:
        """A new document holding ``text``, as one editor typing it would leave it."""
        document = cls.from_updates([])
        if text:
            document.doc.get(ROOT, type=pycrdt.Text).insert(0, text)
        return document

    @property
    def text(self) -> str:
        return str(self.doc.get(ROOT, type=pycrdt.Text))

    def state(self) -> bytes:
        """The whole document as one update (what a new Y.Doc is built from; what compaction keeps)."""
        return self.doc.get_update()

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    def missing_from(self, state_vector: bytes) -> bytes:
        """What a document at ``state_vector`` lacks of this one, as one update (Yjs sync step 2)."""
        try:
            decode_state_vector(state_vector)
            return self.doc.get_update(state_vector)
        except (ValueError, MalformedUpdate) as error:
            raise MalformedUpdate(str(error)) from None

    def apply(self, update: bytes) -> bytes:
        """Apply a browser's update; return it in canonical form (trailing bytes dropped).

        Refuses (MalformedUpdate) bytes that do not decode or that add shared types other than ROOT, and
        (UnintegratedUpdate) an update the document could only keep aside, waiting for changes it lacks:
        such a change would not show in the text, and compaction would drop it.
        """
        check_update(update)
        try:
            canonical = pycrdt.merge_updates(update)
            self.doc.apply_update(canonical)
        except ValueError as error:
            raise MalformedUpdate(str(error)) from None
        except BaseException as error:
            # A panic in the Rust library surfaces as pyo3's PanicException, a BaseException: it means
            # the bytes were bad, not that the process must stop.
            if type(error).__name__ != "PanicException":
                raise
            raise MalformedUpdate("the update could not be applied") from None
        if any(name != ROOT for name in self.doc.keys()):
            raise MalformedUpdate("update adds a shared type other than the minutes text")
        vector_bytes = self.doc.get_state()
        remainder = pycrdt.get_update(canonical, vector_bytes)
        structs, _ = _read_varuint(remainder, 0)
        if structs or _unknown_deletions(remainder, decode_state_vector(vector_bytes)):
            raise UnintegratedUpdate("update depends on changes this document does not have")
        return canonical


def new_revision() -> int:
    """A block's revision: a random number, not a counter, so that a block made anew under an id used
    before (a rebuilt database, SQLite reusing a row id) never matches a document kept from the old one."""
    return secrets.randbits(62)


@dataclass
class KeptDocument:
    """A block's document as this process left it, with what the block's log held then."""

    document: MinutesDocument
    revision: int | None
    logged_updates: int
    logged_bytes: int


class DocumentCache:
    """The documents of the blocks this process wrote last, so that the next update to a block does not
    rebuild its document from the stored state and log.

    A kept document is only good for the revision it was kept at: ``take`` gives it up only when the
    block's row (read under the meeting's lock) still carries that revision, i.e. no other process has
    written the block since. ``take`` removes the entry, so a document an update has changed is never
    seen again unless that update is committed and ``keep`` puts it back.

    Memory (bench/minutes_update.py): ~0.06 MiB for a block of 27,500 characters written in 600 updates,
    so the 32 kept at most (more blocks than anyone types into at once) stay small."""

    def __init__(self, size: int = 32):
        self.size = size
        self._kept: OrderedDict[int, KeptDocument] = OrderedDict()

    def take(self, block_id: int, revision: int | None) -> KeptDocument | None:
        kept = self._kept.pop(block_id, None)
        if kept is None or revision is None or kept.revision != revision:
            return None
        return kept

    def keep(self, block_id: int, kept: KeptDocument) -> None:
        self._kept[block_id] = kept
        self._kept.move_to_end(block_id)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def clear(self) -> None:
        self._kept.clear()
