"""Office documents made PDF after the upload (issue 16, item 4), so that the projector can show them; who
runs it and when: meetcore/agenda/conversion_worker.py. LibreOffice headless (Debian's
libreoffice-writer-nogui, libreoffice-impress-nogui and libreoffice-calc-nogui, all in .ci/apt-packages.txt)
converts the stored file, and the PDF is kept beside it under the file's key + ".pdf". A document whose
conversion fails (no LibreOffice, a damaged file, a timeout) is kept all the same: it can be downloaded,
only not shown on the projector.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

CONVERTIBLE = frozenset({
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/msword",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-excel",
})  # fmt: skip
TIMEOUT_SECONDS = 120


def pdf_path_of(path: Path) -> Path:
    """Where the PDF made of a stored office file is kept."""
    return path.with_name(path.name + ".pdf")


def convert_to_pdf(path: Path) -> Path | None:
    """Make the PDF of the office file at `path` (kept at pdf_path_of(path)); None when it could not be made.
    Each conversion has a LibreOffice profile of its own: two uploads at once do not share its lock."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        log.warning("LibreOffice is not installed: %s is not converted to PDF", path.name)
        return None
    with tempfile.TemporaryDirectory(prefix="meetcore-pdf-") as work:
        command = [soffice, f"-env:UserInstallation=file://{work}/profile", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", work, str(path)]  # fmt: skip
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_SECONDS,
                           env={"PATH": "/usr/bin:/bin", "HOME": work})  # fmt: skip
        except (OSError, subprocess.SubprocessError) as error:
            log.warning("LibreOffice could not convert %s to PDF: %s", path.name, error)
            return None
        made = Path(work) / (path.stem + ".pdf")
        if not made.is_file() or not made.read_bytes()[:5] == b"%PDF-":
            log.warning("LibreOffice made no PDF of %s", path.name)
            return None
        target = pdf_path_of(path)
        # Copied beside the target, then renamed into place: a PDF at the target is always whole, so a
        # worker that finds one after a crash can take it as made.
        part = target.with_name(target.name + ".part")
        shutil.move(made, part)
        part.replace(target)
        return target
