"""Votes on record (issue 17, item 4): a closed vote's result, its entitled and voting counts, the quorum when
it opened and, for an open vote, who voted what, under its agenda item in the official minutes (PDF and
DOCX, Thai whatever the reader's language) and in the attendance report (the reader's language, page and
XLSX). A secret vote's record names nobody next to a choice."""

from __future__ import annotations

import io

import pytest

from meetcore.extensions import db
from tests.conftest import sign_in
from tests.polls.conftest import command
from tests.reports.support import docx_paragraphs, norm, pdf_text

YES, NO, ABSTAIN = 0, 1, 2
NAMES = {"cm_sd": "นายสมปอง รักชาติ", "cm_lab": "นางสาวมาลี ใจงาม", "sk_sd": "นายอดิศร ทองดี"}
OPEN_QUESTION = "เห็นชอบแผนงานด้านสังคมหรือไม่"
SECRET_QUESTION = "เห็นชอบผู้แทนจังหวัดหรือไม่"
# The secret ballot's choices are the other way round from the open vote's, so that a line pairing a name
# with a secret choice could not be the open vote's.
OPEN_CHOICES = {"cm_sd": YES, "cm_lab": YES, "sk_sd": ABSTAIN}
SECRET_CHOICES = {"cm_sd": NO, "cm_lab": ABSTAIN, "sk_sd": YES}
OPTIONS_TH = ["เห็นชอบ", "ไม่เห็นชอบ", "งดออกเสียง"]
HEADER_EN = ("Agenda item", "Vote result", "Who voted what")
HEADER_TH = ("ระเบียบวาระ", "ผลการลงมติ", "ผู้ลงคะแนนแต่ละราย")


def _closed(secretariat, voters, meeting, item, question: str, choices: dict, *, secret: bool) -> int:
    ack = command(secretariat, "poll.prepare", meeting, item_id=item.id, question=question, secret=secret)
    assert ack["ok"], ack
    poll_id = ack["poll_id"]
    assert command(secretariat, "poll.open", meeting, poll_id=poll_id)["ok"]
    for key, choice in choices.items():
        assert command(voters[key], "poll.vote", meeting, poll_id=poll_id, choices=[choice])["ok"]
    assert command(secretariat, "poll.close", meeting, poll_id=poll_id)["ok"]
    return poll_id


def _voter_lines(seats, language: str) -> list[str]:
    """The open vote's named lines: "name (seat): choice", the seat in the reader's language."""
    from meetcore.seats.services import seat_label

    label = {key: seat_label(seats[key].province, seats[key].role, language) for key in OPEN_CHOICES}
    return [f"{NAMES[key]} ({label[key]}): {OPTIONS_TH[choice]}" for key, choice in OPEN_CHOICES.items()]


@pytest.fixture()
def voted(in_session, seats, item, seat_socket, staff_socket, users):
    """An open vote on `item` and a secret ballot on a second item, both closed, by three named seats of
    four (the fourth, Songkhla labour, is absent)."""
    from meetcore.agenda import services as agenda

    for key, name in NAMES.items():
        seats[key].name = name
    db.session.commit()
    second = agenda.add_item(in_session, {"title": "เรื่องเพื่อพิจารณา: ผู้แทนจังหวัด"}, by=users["secretariat"])
    db.session.commit()
    secretariat = staff_socket("secretariat", in_session)
    voters = {key: seat_socket(seats[key]) for key in NAMES}
    _closed(secretariat, voters, in_session, item, OPEN_QUESTION, OPEN_CHOICES, secret=False)
    _closed(secretariat, voters, in_session, second, SECRET_QUESTION, SECRET_CHOICES, secret=True)
    return in_session, item, second


def _open_result_th() -> list[str]:
    return [
        f'ผลการลงมติ (ลงคะแนนโดยเปิดเผย) ในประเด็น "{OPEN_QUESTION}": เห็นชอบ 2 เสียง, ไม่เห็นชอบ 0 เสียง, '
        "งดออกเสียง 1 เสียง",
        "ผู้มีสิทธิออกเสียง 3 ที่นั่ง ลงคะแนน 3 ที่นั่ง",
        "องค์ประชุมขณะเปิดลงมติ: มาประชุม 3 จาก 4 ที่นั่ง (ครบองค์ประชุม)",
    ]


def _secret_result_th() -> list[str]:
    return [
        f'ผลการลงมติ (ลงคะแนนลับ) ในประเด็น "{SECRET_QUESTION}": เห็นชอบ 1 เสียง, ไม่เห็นชอบ 1 เสียง, '
        "งดออกเสียง 1 เสียง",
        "ผู้มีสิทธิออกเสียง 3 ที่นั่ง ลงคะแนน 3 ที่นั่ง",
    ]


def _check_minutes(text: str, item, second, voter_lines: list[str]) -> None:
    """The open vote under its item with one line per voter, the secret ballot under the other with none."""
    flat = norm(text)
    first = flat.index(norm(item.title))
    other = flat.index(norm(second.title), first)
    end = flat.index(norm("เลิกประชุมเวลา"), other)
    open_part, secret_part = flat[first:other], flat[other:end]
    record = open_part.split(norm("มติที่ประชุม"))[0]  # the vote's own record, before the decision
    for line in _open_result_th() + voter_lines:
        assert norm(line) in record, line
    for line in _secret_result_th():
        assert norm(line) in secret_part, line
    # Nobody is named under the secret ballot: neither a name nor a seat's province appears there.
    for name in NAMES.values():
        assert norm(name) not in secret_part
    assert norm("เชียงใหม่") not in secret_part and norm("สงขลา") not in secret_part


@pytest.mark.parametrize("language", ["th", "en"])
def test_the_minutes_pdf_and_docx_carry_each_vote_under_its_item(
    voted, seats, users, client, tmp_path, language
):
    meeting, item, second = voted
    voter_lines = _voter_lines(seats, "th")
    sign_in(client, users["secretariat"])
    client.get(f"/lang/{language}")  # the minutes are Thai whatever the reader's language
    pdf = client.get(f"/meetings/{meeting.id}/minutes/export.pdf")
    assert pdf.status_code == 200, pdf.status_code
    _check_minutes(pdf_text(pdf.data, tmp_path), item, second, voter_lines)
    docx = client.get(f"/meetings/{meeting.id}/minutes/export.docx")
    assert docx.status_code == 200
    paragraphs = docx_paragraphs(docx.data)
    _check_minutes("\n".join(paragraphs), item, second, voter_lines)
    # Each named voter is a numbered paragraph of its own in Word.
    numbered = [line for line in paragraphs if line[:3] in ("1. ", "2. ", "3. ") and " (" in line]
    assert [line[:3] for line in numbered] == ["1. ", "2. ", "3. "]
    assert sorted(line[3:] for line in numbered) == sorted(voter_lines)


def _english_result() -> list[str]:
    return [
        f'Result of the open vote on "{OPEN_QUESTION}": เห็นชอบ 2 votes, ไม่เห็นชอบ 0 votes, งดออกเสียง 1 votes.',
        "Entitled to vote: 3 seats; voted: 3 seats.",
        "Quorum when the vote opened: 3 of 4 seats present (quorum present).",
        f'Result of the secret ballot on "{SECRET_QUESTION}": เห็นชอบ 1 votes, ไม่เห็นชอบ 1 votes, '
        "งดออกเสียง 1 votes.",
    ]


@pytest.mark.parametrize("language", ["th", "en"])
def test_the_attendance_report_lists_the_votes_in_the_readers_language(voted, seats, users, client, language):
    from flask_babel import refresh
    from openpyxl import load_workbook

    meeting, item, second = voted
    sign_in(client, users["secretariat"])
    client.get(f"/lang/{language}")
    refresh()  # the test's app context outlives the requests: the locale the fixture's requests cached goes
    expected = _open_result_th() + _secret_result_th() if language == "th" else _english_result()
    html = client.get(f"/meetings/{meeting.id}/attendance/report").get_data(as_text=True)
    votes = html[html.index('id="attendance-report-votes"') : html.index('id="attendance-report-seats"')]
    for line in expected + _voter_lines(seats, language):
        assert line.replace('"', "&#34;") in votes, line
    assert votes.index(OPEN_QUESTION) < votes.index(SECRET_QUESTION)  # agenda order
    for name in NAMES.values():  # named once each: under the open vote only
        assert votes.count(name) == 1 and votes.index(name) < votes.index(SECRET_QUESTION)

    response = client.get(f"/meetings/{meeting.id}/attendance/report.xlsx")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[-1]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (HEADER_EN if language == "en" else HEADER_TH)
    (open_item, open_result, open_voters), (secret_item, secret_result, secret_voters) = rows[1:]
    assert item.title in open_item and second.title in secret_item
    assert open_result.splitlines() == expected[:3]
    assert SECRET_QUESTION in secret_result
    assert sorted(open_voters.splitlines()) == sorted(_voter_lines(seats, language))
    assert not secret_voters  # a secret ballot: that seats voted is in the seats' rows, never what
