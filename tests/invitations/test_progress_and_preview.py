"""The invitations page before and while sending (issue 15, 4e): a preview of the next invitation,
composed by the code that sends it and leaving nothing behind; and the sending's counts as JSON for the
page to refresh itself (the browser side is in test_progress_browser.py)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from meetcore.extensions import db
from meetcore.invitations.models import Invitation, MeetingCalendar
from meetcore.seats.models import SeatLink
from tests.invitations.support import deliver, only_invite, outbox_rows

JOIN_PLACEHOLDER = "[ลิงก์เข้าร่วมประชุมส่วนตัวของผู้รับ]"
REPLY_PLACEHOLDER = "[ลิงก์ตอบรับส่วนตัวของผู้รับ]"


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _preview(page: str) -> dict:
    subject = re.search(r'id="preview-subject">([^<]*)<', page).group(1)
    text = re.search(r'id="preview-text">(.*?)</pre>', page, re.S).group(1)
    ics = dict(re.findall(r"<dt><code>([A-Z]+)</code></dt><dd>([^<]*)</dd>", page))
    return {"subject": subject, "text": text, "ics": ics}


def test_the_preview_is_the_message_that_will_be_sent_and_sends_nothing(small_meeting, as_secretariat, smtp):
    from markupsafe import Markup

    page = as_secretariat.get(f"/meetings/{small_meeting.id}/invitations/send").get_data(as_text=True)
    preview = _preview(page)
    text = Markup(preview["text"]).unescape()
    assert "ตัวอย่าง ผู้รับเชิญ 0" in page and "vg0@example.org" in page  # the first seat waiting
    assert JOIN_PLACEHOLDER in text and REPLY_PLACEHOLDER in text
    assert preview["ics"]["METHOD"] == "REQUEST"
    assert small_meeting.title in Markup(preview["ics"]["SUMMARY"]).unescape()
    assert "vg0@example.org" in preview["ics"]["ATTENDEE"].lower()
    # Looking left nothing behind: no invitation, calendar, link or message.
    assert outbox_rows(small_meeting) == []
    assert (_count(Invitation), _count(MeetingCalendar), _count(SeatLink)) == (0, 0, 0)

    as_secretariat.post(f"/meetings/{small_meeting.id}/invitations/send", data={"expected": "5"})
    deliver()
    sent = only_invite(smtp)["vg0@example.org"]
    assert sent.message["Subject"] == Markup(preview["subject"]).unescape()
    # Every line of the preview but those holding a link is in the message sent, in the same order.
    lines = [line for line in text.splitlines() if line.strip() and "[" not in line]
    assert len(lines) > 5
    sent_lines = [line for line in sent.text.splitlines() if line.strip()]
    positions = [sent_lines.index(line) for line in lines]
    assert positions == sorted(positions)


def test_no_preview_when_no_seat_waits(invited, as_secretariat):
    page = as_secretariat.get(f"/meetings/{invited.id}/invitations/send").get_data(as_text=True)
    assert 'id="invitation-preview"' not in page


def test_progress_counts_follow_the_sending(small_meeting, as_secretariat, smtp):
    url = f"/meetings/{small_meeting.id}/invitations/progress"

    def counts() -> dict:
        response = as_secretariat.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        data = response.get_json()
        return {key: data[key] for key in ("waiting", "invited", "pending", "sent", "failed", "total")}

    assert counts() == {"waiting": 5, "invited": 0, "pending": 0, "sent": 0, "failed": 0, "total": 5}
    as_secretariat.post(f"/meetings/{small_meeting.id}/invitations/send", data={"expected": "5"})
    assert counts() == {"waiting": 0, "invited": 5, "pending": 5, "sent": 0, "failed": 0, "total": 5}
    smtp.rcpt_answer = lambda address: "550 5.1.1 no such mailbox" if address == "vg3@example.org" else None
    deliver()
    assert counts() == {"waiting": 0, "invited": 5, "pending": 0, "sent": 4, "failed": 1, "total": 5}
    page = as_secretariat.get(f"/meetings/{small_meeting.id}/invitations").get_data(as_text=True)
    assert 'id="outbox-progress"' in page and "ส่งแล้ว 4 จาก 5" in page
    assert page.count("outbox-progress-line').textContent") == 1  # the refreshing script once, in the body
    assert "<script" not in page.split("<title>", 1)[1].split("</title>", 1)[0]


def test_progress_is_for_staff(small_meeting, client, users):
    from tests.conftest import sign_in

    assert client.get(f"/meetings/{small_meeting.id}/invitations/progress").status_code in (302, 401)
    sign_in(client, users["participant"])
    assert client.get(f"/meetings/{small_meeting.id}/invitations/progress").status_code == 403
