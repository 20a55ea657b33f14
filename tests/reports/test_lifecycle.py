"""The minutes' life from the outside: draft (participants refused) → circulated by e-mail (the link opens
them) → certified at the next meeting's item "รับรองรายงานการประชุม" (locked: edits refused with a translated
Conflict) → amendments recorded and shown in the HTML, PDF and DOCX."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from flask_babel import force_locale

from meetcore.errors import Conflict
from meetcore.extensions import db
from tests.clock import be_input, days_after_meeting
from tests.conftest import sign_in
from tests.factories import seat_at, seat_link
from tests.reports.conftest import minutes_update
from tests.reports.support import docx_paragraphs, norm, pdf_text

AMENDMENT = "แก้ไขชื่อผู้ได้รับมอบหมายในระเบียบวาระที่ 5.1 เป็นผู้อำนวยการกองยุทธศาสตร์และแผนงาน"


def _meeting(meeting_id: int):
    from meetcore.meetings.models import Meeting

    db.session.expire_all()
    return db.session.get(Meeting, meeting_id)


def _seat_link(meeting_id: int, province: str, role: str) -> str:
    from meetcore.database import utcnow

    return seat_link(seat_at(meeting_id, province, role), expires_at=utcnow() + timedelta(days=30))


def _fresh(app):
    """A client with its own cookie jar (the test's app context caches the signed-in user in g)."""
    g.pop("_login_user", None)
    return app.test_client()


def _outbox(meeting_id: int) -> list:
    from meetcore.mail.models import OutboxMessage

    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.meeting_id == meeting_id, OutboxMessage.kind == "notice"
            )
        )
    )


def _body_text(message) -> str:
    """The decoded text parts of an outbox message."""
    raw = message.body.decode("ascii")
    texts = []
    for chunk in re.findall(
        r"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64"
        r"\r\n\r\n([A-Za-z0-9+/=\r\n]+)",
        raw,
    ):
        texts.append(base64.b64decode(chunk).decode("utf-8"))
    return "\n".join(texts)


def _circulate(client, meeting_id: int):
    data = {"comments_due_date": be_input(days_after_meeting(30)), "comments_due_time": "16:30"}
    return client.post(f"/meetings/{meeting_id}/minutes/circulate", data=data)


def _certify_at_next_meeting(held, users, client):
    from meetcore.meetings.services import start_meeting

    start_meeting(_meeting(held.next_meeting_id), by=users["secretariat"])
    return client.post(f"/meetings/{held.meeting_id}/minutes/certify")


def test_a_participant_cannot_read_draft_minutes_but_can_once_circulated(held, users, app):
    join_token = _seat_link(held.meeting_id, "TH-50", "vice_governor")
    participant = _fresh(app)
    refused = participant.get(f"/minutes/{join_token}")
    assert refused.status_code == 403
    assert f"/minutes/{join_token}" not in participant.get(f"/join/{join_token}").get_data(as_text=True)
    body = refused.get_data(as_text=True)
    assert "ผู้มาประชุม" not in body and held.decisions[next(iter(held.decisions))] not in body
    assert participant.get(f"/minutes/{join_token}/export.pdf").status_code == 403
    assert participant.get(f"/minutes/{join_token}/export.docx").status_code == 403
    # Nor through the console, signed in as a participant's account, nor anonymously.
    sign_in(participant, users["participant"])
    assert participant.get(f"/meetings/{held.meeting_id}/minutes").status_code == 403
    assert participant.get(f"/meetings/{held.meeting_id}/minutes/export.pdf").status_code == 403
    anonymous = _fresh(app)
    assert anonymous.get(f"/meetings/{held.meeting_id}/minutes").status_code == 302  # to the sign-in page
    assert anonymous.get("/minutes/not-a-valid-token").status_code == 404

    secretariat = _fresh(app)
    sign_in(secretariat, users["secretariat"])
    page = secretariat.get(f"/meetings/{held.meeting_id}/minutes")
    assert page.status_code == 200 and 'data-state="draft"' in page.get_data(as_text=True)
    response = _circulate(secretariat, held.meeting_id)
    assert response.status_code == 302
    # One e-mail per attendee with an address (the substitute has none: the seat's address gets it).
    messages = _outbox(held.meeting_id)
    attendees = {seat.email for seat in held.present} | {held.substitute.email}
    assert {message.recipient for message in messages} == attendees
    text = _body_text(next(m for m in messages if m.recipient == held.present[3].email))
    link = re.search(r"http://meetcore\.test(/minutes/\S+)", text).group(1)
    assert "ขอให้ตรวจร่าง" in messages[0].subject or "=?utf-8?" in messages[0].body.decode("ascii")

    reader = _fresh(app)
    page = reader.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", html)  # a name's parts are in spans of their own (kept whole)
    assert "ผู้มาประชุม" in text and held.present[3].name in text
    assert page.headers["Cache-Control"] == "no-store"
    assert reader.get(link + "/export.pdf").status_code == 200
    # The seat's own join link opens them too, now, and its page leads there.
    assert reader.get(f"/minutes/{join_token}").status_code == 200
    assert f'href="/minutes/{join_token}"' in reader.get(f"/join/{join_token}").get_data(as_text=True)
    # A link whose signature was tampered with opens nothing.
    assert reader.get(link[:-3] + "abc").status_code == 404


def test_only_the_secretariat_changes_the_minutes(held, users, app):
    chair = _fresh(app)
    sign_in(chair, users["chair"])
    assert chair.get(f"/meetings/{held.meeting_id}/minutes").status_code == 200  # the chair reads
    assert _circulate(chair, held.meeting_id).status_code == 403
    assert (
        chair.post(f"/meetings/{held.meeting_id}/minutes/details", data={"recorder_name": "x"}).status_code
        == 403
    )
    assert _outbox(held.meeting_id) == []
    api = _fresh(app)
    sign_in(api, users["participant"])
    assert api.post(f"/meetings/{held.meeting_id}/minutes/certify").status_code == 403


def test_certified_at_the_next_meeting_then_locked_and_amended(held, users, app, tmp_path):
    from meetcore.minutes.models import Decision
    from meetcore.minutes.services import apply_update, record_decision, update_decision
    from meetcore.reports.models import OfficialMinutes
    from meetcore.reports.services import update_details

    secretariat = _fresh(app)
    sign_in(secretariat, users["secretariat"])
    # Not before circulation.
    assert _certify_at_next_meeting(held, users, secretariat).status_code == 302
    assert _meeting(held.meeting_id).status == "ended"
    assert _circulate(secretariat, held.meeting_id).status_code == 302
    assert (
        secretariat.post(
            f"/meetings/{held.meeting_id}/minutes/amendments", data={"text": AMENDMENT}
        ).status_code
        == 302
    )
    row = db.session.scalar(sa.select(OfficialMinutes).where(OfficialMinutes.meeting_id == held.meeting_id))
    assert row.state == "circulated" and row.amendments == []  # amendments are for certified minutes

    assert secretariat.post(f"/meetings/{held.meeting_id}/minutes/certify").status_code == 302
    meeting = _meeting(held.meeting_id)
    assert meeting.status == "certified"
    row = db.session.scalar(sa.select(OfficialMinutes).where(OfficialMinutes.meeting_id == held.meeting_id))
    assert row.state == "certified" and row.certified_at is not None
    from meetcore.agenda.models import AgendaItem

    item = db.session.get(AgendaItem, row.certified_at_item_id)
    assert item.meeting_id == held.next_meeting_id and "รับรองรายงานการประชุม ครั้งที่ 1/2560" in item.title
    # The next meeting's minutes link the certified ones under that item.
    next_page = secretariat.get(f"/meetings/{held.next_meeting_id}/minutes").get_data(as_text=True)
    assert f'href="/meetings/{held.meeting_id}/minutes"' in next_page
    assert "รายงานการประชุม ครั้งที่ 1/2560" in next_page

    # Locked: minutes text, decisions and the document's own details, all refused with a translated Conflict.
    secretary = users["secretariat"]
    item_id = next(iter(held.texts))
    decision = db.session.scalars(sa.select(Decision).where(Decision.meeting_id == held.meeting_id)).first()
    attempts = [
        lambda: apply_update(held.meeting_id, item_id, minutes_update("แก้ไขเงียบ ๆ"), by=secretary),
        lambda: update_decision(held.meeting_id, decision.id, "มติที่แก้ไขเงียบ ๆ", by=secretary),
        lambda: record_decision(held.meeting_id, item_id, "มติใหม่", by=secretary),
        lambda: update_details(meeting, {"recorder_name": "คนอื่น"}, by=secretary),
    ]
    for number, attempt in enumerate(attempts):
        with pytest.raises(Conflict) as refused:
            attempt()
        db.session.rollback()
        if number < 3:  # the minutes' and decisions' own refusals, in the Thai catalogue already
            with force_locale("th"):
                message = str(refused.value.message)
            assert re.search(r"[\u0e00-\u0e7f]", message), message
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).text == held.decisions[decision.agenda_item_id]
    response = secretariat.post(f"/meetings/{held.meeting_id}/minutes/details", data={"recorder_name": "x"})
    assert response.status_code == 302
    assert row.recorder_name != "x"

    # A correction is an amendment: who, when, what; shown with the minutes everywhere.
    response = secretariat.post(
        f"/meetings/{held.meeting_id}/minutes/amendments", data={"text": AMENDMENT, "item_id": str(item_id)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.scalar(sa.select(OfficialMinutes).where(OfficialMinutes.meeting_id == held.meeting_id))
    (amendment,) = row.amendments
    assert amendment.text == AMENDMENT and amendment.created_by_id == secretary.id
    assert amendment.created_at is not None and amendment.agenda_item_id == item_id
    html = secretariat.get(f"/meetings/{held.meeting_id}/minutes").get_data(as_text=True)
    assert AMENDMENT in html and secretary.display_name in html
    pdf = secretariat.get(f"/meetings/{held.meeting_id}/minutes/export.pdf").data
    assert norm(AMENDMENT) in norm(pdf_text(pdf, tmp_path))
    docx = secretariat.get(f"/meetings/{held.meeting_id}/minutes/export.docx").data
    assert AMENDMENT in "\n".join(docx_paragraphs(docx))


def test_certification_needs_the_next_meeting_in_session(held, users):
    from meetcore.reports.services import certify, circulate

    secretary = users["secretariat"]
    circulate(_meeting(held.meeting_id), {}, by=secretary)
    with pytest.raises(Conflict):
        certify(_meeting(held.meeting_id), {}, by=secretary)  # the next meeting is only scheduled
    db.session.rollback()
    assert _meeting(held.meeting_id).status == "ended"


def test_the_circulation_mail_gives_its_deadline_as_thai_prose(held, users, app):
    """Issue 15, item 6: "โปรดแจ้งภายใน20 ..." ran the word into the date."""
    secretariat = _fresh(app)
    sign_in(secretariat, users["secretariat"])
    assert _circulate(secretariat, held.meeting_id).status_code == 302
    [message, *_rest] = _outbox(held.meeting_id)
    text = _body_text(message)
    assert re.search(r"โปรดแจ้งภายในวันที่ \d{1,2} \S+ \d{4}", text), text
