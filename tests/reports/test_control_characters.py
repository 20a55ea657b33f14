"""Text with control characters (issue 13): one \\x01 in a decline reason, sent through the reply link alone,
made the minutes' Word export answer 500. Input refuses them with a clear error and changes nothing; every
export survives what is already stored."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from meetcore.extensions import db
from meetcore.minutes.models import Decision
from meetcore.seats.models import Seat
from meetcore.seats.services import update_seat
from tests.conftest import sign_in

STORED = "ติดราชการ\x01ด่วน\x1b[31m\x7f\x85"


@pytest.fixture()
def secretariat_client(client, users):
    sign_in(client, users["secretariat"])
    return client


def _store_control_characters(held) -> None:
    """As rows written before input refused control characters (or by a future path that forgets to)."""
    db.session.execute(sa.update(Seat).where(Seat.id == held.declined.id).values(absence_reason=STORED))
    db.session.execute(sa.update(Decision).where(Decision.meeting_id == held.meeting_id).values(text=STORED))
    db.session.commit()


def test_every_export_survives_stored_control_characters(held, secretariat_client, tmp_path):
    _store_control_characters(held)
    meeting = held.meeting_id
    docx = secretariat_client.get(f"/meetings/{meeting}/minutes/export.docx")
    assert docx.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    assert "ติดราชการด่วน[31m" in text and "\x01" not in text
    assert secretariat_client.get(f"/meetings/{meeting}/minutes/export.pdf").data.startswith(b"%PDF")
    for fmt in ("csv", "xlsx"):
        for path in (
            f"/meetings/{meeting}/attendance/report.{fmt}",
            f"/meetings/{meeting}/roster/export.{fmt}",
        ):
            response = secretariat_client.get(path)
            assert response.status_code == 200, path
            if fmt == "xlsx":
                load_workbook(io.BytesIO(response.data))  # a file Excel opens


def test_a_decline_reason_with_a_control_character_is_refused_and_nothing_changes(held, users):
    from meetcore.errors import InvalidInput

    seat = db.session.get(Seat, held.declined.id)
    before = seat.absence_reason
    with pytest.raises(InvalidInput) as error:
        update_seat(seat, {"absence_reason": "ติดราชการ\x01"}, by=users["secretariat"])
    assert error.value.field == "absence_reason" and "อักขระควบคุม" in str(error.value.message)
    db.session.rollback()
    assert db.session.get(Seat, held.declined.id).absence_reason == before
