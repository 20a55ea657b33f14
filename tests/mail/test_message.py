"""The bytes of one e-mail: headers in Thai, the iMIP structure, CRLF line ends."""

from __future__ import annotations

import email
import email.header
import email.policy


def test_calendar_message_structure_and_thai_headers(app_ctx):
    from meetcore.mail.message import Calendar, build_message

    ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:การประชุม\r\nEND:VCALENDAR\r\n".encode()
    built = build_message(
        to="vice-governor.th-50@example.org",
        to_name="ตัวอย่าง รองผวจ. เชียงใหม่",
        subject="เชิญประชุม: การประชุมการขับเคลื่อนนโยบายด้านการพัฒนาสังคมระดับพื้นที่ ครั้งที่ 2/2569",
        text="เรียน ท่าน\nบรรทัดที่สอง",
        html="<p>เรียน ท่าน</p>",
        calendar=Calendar("REQUEST", ics),
        from_name="สำนักงานปลัดกระทรวง",
    )
    data = built.data
    assert data.isascii()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message["Subject"] == "เชิญประชุม: การประชุมการขับเคลื่อนนโยบายด้านการพัฒนาสังคมระดับพื้นที่ ครั้งที่ 2/2569"
    # Long Thai names are split into several encoded words (RFC 2047 allows 75 characters each); the words
    # join without a space (Python's address parser inserts one, RFC 2047 6.2 says to drop it).
    raw_to = email.message_from_bytes(data, policy=email.policy.compat32)["To"]
    assert str(email.header.make_header(email.header.decode_header(raw_to))) == (
        "ตัวอย่าง รองผวจ. เชียงใหม่ <vice-governor.th-50@example.org>"
    )
    assert message["Message-ID"] == f"<{built.message_id}>"
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.get_payload()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert plain.get_content() == "เรียน ท่าน\nบรรทัดที่สอง\n" or plain.get_content().startswith("เรียน ท่าน")
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST" and calendar.get_param("charset") == "UTF-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics" and attachment.get_param("name") == "invite.ics"
    assert calendar.get_payload(decode=True) == attachment.get_payload(decode=True) == ics
    # Two boundaries, neither a prefix of the other.
    outer, inner = message.get_boundary(), alternative.get_boundary()
    assert not outer.startswith(inner) and not inner.startswith(outer)


def test_plain_message(app_ctx):
    from meetcore.mail.message import build_message

    built = build_message(to="a@example.org", to_name="Ann Example", subject="Hello", text="Hi")
    message = email.message_from_bytes(built.data, policy=email.policy.default)
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Hi"
    assert str(message["To"]) == "Ann Example <a@example.org>"


def test_public_url_uses_base_url_without_a_request(app_ctx):
    from meetcore.mail.message import mail_host, public_url

    assert public_url("invitations.rsvp", token="1.abc") == "http://meetcore.test/rsvp/1.abc"
    assert mail_host() == "meetcore.test"
