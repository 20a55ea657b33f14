"""Files attached to progress reports: the shared upload store (meetcore.storage) in its own folder, with
its own size limit (MEETCORE_ACTION_ATTACHMENT_MAX_MB)."""

from __future__ import annotations

from meetcore.storage import FileStore

STORE = FileStore(folder="actions", max_mb_setting="MEETCORE_ACTION_ATTACHMENT_MAX_MB", field="attachment")

store = STORE.store
path_of = STORE.path_of
discard = STORE.discard
attachments_dir = STORE.directory
