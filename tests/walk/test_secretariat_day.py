"""Issue 15's acceptance: the secretariat's meeting day walked in Chromium, from the new meeting to the
minutes that go out, with nothing to correct by hand.

The series' first meeting (1/2560, the demo's reference meeting with its record: replies, attendance,
actions) is the only thing made beforehand. Everything after is done through the pages: the meeting
scheduled with a Buddhist-Era date typed as staff type it; the roster and agenda copied from 1/2560; the
invitations sent and watched going out (a real `meetcore mail send` delivering to a real SMTP server); every
province's site link issued at once; the meeting started early (asked first), joined from the links in the
e-mails and from a provincial hall's sheet link, a decision and an action given to two provinces by name;
ended; then the board, the attendance report, and the minutes as PDF and as DOCX (rendered by LibreOffice)
must tell the same attendance, and the documents carry the action, page numbers and whole names.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import unquote

import pytest

from meetcore.demo.reference_meeting import CHAIR_NAME, CHAIR_POSITION, SERIES_NAME, VENUE
from meetcore.demo.reference_titles import SOCIAL_MAP_TITLE
from tests.actions.test_province_picker_browser import _assigned
from tests.clock import MEETING_DAY, TODAY, be_input, be_year, days_after_meeting, thai_date_long
from tests.live.browsers import PASSWORD, chromium, live_value, sign_in, wait_until
from tests.live.servers import ServerProcess, scratch_database_url
from tests.live.test_browser import Screens
from tests.mail.smtp_server import SmtpServer
from tests.reports.support import norm, pdf_text
from tests.reports.test_word_ready import SOFFICE, _pdf_lines, bare, libreoffice_pdf, page_count

SECRETARIAT = "sec@example.org"
PROVINCES = 76  # every province but Bangkok has the roster's seats
# Who joins from the link in their invitation e-mail: (address, as a substitute's name or None).
JOINING = {
    "permanent-secretary.central@example.org": None,  # the chair's own seat, in the Bangkok room
    "social-development.th-50@example.org": None,  # พมจ.เชียงใหม่ on a phone
    "public-health.th-40@example.org": ("นางสาวทดสอบ ผู้แทนสาธารณสุข", "นักวิชาการสาธารณสุขชำนาญการพิเศษ"),
}
SITE_PROVINCE = "TH-90"  # สงขลา's provincial hall ticks two roles from its sheet link
SITE_TICKS = 2
DECISION = "ที่ประชุมเห็นชอบให้สำนักงานพัฒนาสังคมฯ ทุกจังหวัดจัดทำแผนที่ทางสังคมตามที่เสนอ"
ACTION = "จัดทำแผนที่ทางสังคมระดับจังหวัดและรายงานผลต่อที่ประชุมครั้งต่อไป"
ACTION_DUE = days_after_meeting(30)
ACTION_OWNERS = "พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัด (จังหวัดเชียงใหม่, จังหวัดสงขลา)"


def _prepare(database_url: str) -> int:
    """The secretariat's account and the series' first meeting, held (the demo's 1/2560 with its record);
    no next meeting: the walk schedules it. Returns the size of 1/2560's roster."""
    from flask_migrate import upgrade

    from meetcore import create_app
    from meetcore.auth.services import create_user
    from meetcore.demo.reference_meeting import load_reference_meeting
    from meetcore.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade(revision="head")
        create_user(SECRETARIAT, role="secretariat", password=PASSWORD, display_name="เลขานุการ")
        seats = load_reference_meeting(next_meeting=False)["seats"]
        db.session.commit()  # the test is the entry point: the server reads what it made
        db.session.remove()
        db.engine.dispose()
    return seats


@pytest.fixture()
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture()
def server(tmp_path):
    url = scratch_database_url(tmp_path, "secretariat_day")
    previous_seats = _prepare(url)
    process = ServerProcess(url, tmp_path, name="walk").start()
    yield process, previous_seats
    process.stop()


@dataclass
class Day:
    """What the walk did, as the secretariat would write it down: the oracle of the records at the end."""

    base: str
    meeting_id: int = 0
    seats: int = 0
    attended: dict[str, str] = field(default_factory=dict)  # invitee's name -> who sat (themself/substitute)


def _flash(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


# --- the steps of the day -----------------------------------------------------------------------------------


def schedule_the_meeting(page, day: Day) -> None:
    """The new-meeting form with the date typed day/month/BE-year and times as staff type them."""
    page.goto(f"{day.base}/meetings/new")
    page.fill("#series_name", SERIES_NAME)
    page.fill("#title", SERIES_NAME)
    page.fill("#number", "1")
    page.click("#date")
    page.keyboard.type(be_input(MEETING_DAY))
    page.click("#start_time")
    page.keyboard.type("9.30")
    page.click("#end_time")
    page.keyboard.type("12.00")
    page.fill("#venue", VENUE)
    page.fill("#chair_name", CHAIR_NAME)
    page.fill("#chair_position", CHAIR_POSITION)
    assert page.text_content("#date-hint").strip() == thai_date_long(MEETING_DAY)
    page.click("form.form-grid button[type=submit]")
    page.wait_for_url(re.compile(r"/meetings/\d+$"))
    day.meeting_id = int(page.url.rsplit("/", 1)[1])
    body = page.inner_text("main")
    assert thai_date_long(MEETING_DAY) in body and "09:30" in body
    assert f"1/{be_year(MEETING_DAY)}" in body


def start_from_previous(page, day: Day, previous_seats: int) -> None:
    """One step: the roster of 1/2560 (its replies left behind) and its agenda skeleton."""
    section = page.locator("#start-from-previous")
    assert "1/2560" in section.inner_text()
    section.locator("button[type=submit]").click()
    page.wait_for_load_state()
    copied = re.search(r"คัดลอกที่นั่ง (\d+) ที่ และระเบียบวาระ (\d+) รายการ", _flash(page))
    assert copied, _flash(page)
    day.seats = int(copied.group(1))
    assert day.seats == previous_seats and int(copied.group(2)) > 6
    assert page.locator("#start-from-previous").count() == 0  # done once
    page.goto(f"{day.base}/meetings/{day.meeting_id}/board")
    assert page.inner_text("#board-seats") == str(day.seats)
    assert page.inner_text("#board-present") == "0"
    # 1/2560's replies (accepted, declined, substitutes) stayed with 1/2560.
    assert page.locator("td.cell.s-declined, td.cell.s-accepted, td.cell.s-substitute").count() == 0


def send_the_invitations(page, day: Day, server: ServerProcess, smtp: SmtpServer) -> None:
    """Preview, confirm, then watch the page count them out while the sender works (never reloaded)."""
    page.goto(f"{day.base}/meetings/{day.meeting_id}/invitations")
    page.click("#send-invitations")
    page.wait_for_url("**/invitations/send")
    assert SERIES_NAME in page.inner_text("main")  # the e-mail's preview
    page.click("#confirm-send")
    page.wait_for_url(re.compile(r"/invitations$"))
    assert page.inner_text("#outbox-pending") == str(day.seats) and page.inner_text("#outbox-sent") == "0"
    page.evaluate("() => { window.__notReloaded = true; }")
    sender = subprocess.run(
        [sys.executable, "-m", "meetcore", "mail", "send"],
        env={**server.env, "MEETCORE_SMTP_HOST": "127.0.0.1", "MEETCORE_SMTP_PORT": str(smtp.port)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert sender.returncode == 0, sender.stderr
    wait_until(lambda: page.inner_text("#outbox-sent") == str(day.seats), timeout=30,
               message="the page to count every invitation sent")  # fmt: skip
    assert page.inner_text("#outbox-pending") == "0"
    assert page.evaluate("() => window.__notReloaded === true")
    assert len({message.recipient for message in smtp.recorder.received}) == day.seats


def issue_the_site_links(page, day: Day) -> str:
    """All provinces' links at once: a sheet and its CSV saying the same; returns one hall's link."""
    page.goto(f"{day.base}/meetings/{day.meeting_id}/sites")
    page.click("#issue-all-sites button[type=submit]")
    page.wait_for_selector("#site-sheet")
    rows = page.locator("#site-sheet tbody tr")
    assert rows.count() == PROVINCES
    on_sheet = {row.get_attribute("data-province"): row.locator("td.link").inner_text().strip()
                for row in rows.all()}  # fmt: skip
    href = page.get_attribute("#sheet-csv", "href")
    lines = list(csv.reader(io.StringIO(unquote(href.split(",", 1)[1]))))
    in_csv = {link for line in lines[1:] for link in line if "/site/" in link}
    assert len(lines) == PROVINCES + 1 and in_csv == set(on_sheet.values())
    return on_sheet[SITE_PROVINCE]


def start_the_meeting(console) -> None:
    """A week early: the console asks, naming the scheduled day, before it starts."""
    console.click("[data-key=start-ask]")
    asked = console.inner_text("#live-start-early")
    assert str(MEETING_DAY.day) in asked and str(be_year(MEETING_DAY)) in asked
    console.click("[data-key=start]")
    wait_until(lambda: live_value(console, "live.state.meeting.status") == "live", message="the start")


def join_token(smtp: SmtpServer, address: str) -> str:
    """The personal link in the latest message to ``address`` that has one."""
    links = [re.search(r"/join/([A-Za-z0-9_\-.]+)", m.message.get_body(("plain",)).get_content())
             for m in smtp.recorder.received if m.recipient == address]  # fmt: skip
    return [link.group(1) for link in links if link][-1]


def join_from_the_email(browsers: Screens, day: Day, smtp: SmtpServer) -> list:
    """Each invitee opens the personal link in their e-mail and confirms who is attending."""
    pages = []
    for address, substitute in JOINING.items():
        token = join_token(smtp, address)
        page = browsers.open(address, phone="th-50" in address)
        page.goto(f"{day.base}/join/{token}")
        page.click("#join-meeting")
        page.wait_for_url("**/identity")
        invitee = page.input_value("#attendee_name")
        assert invitee
        if substitute:
            page.check("input[name=attending][value=substitute]")
            page.fill("#attendee_name", substitute[0])
            page.fill("#attendee_position", substitute[1])
        page.click("form.identity-form button[type=submit]")
        page.wait_for_url("**/live/*")
        wait_until(lambda page=page: live_value(page, "live.state !== null && live.connected"),
                   message=f"{address} to join")  # fmt: skip
        day.attended[invitee] = substitute[0] if substitute else invitee
        pages.append(page)
    return pages


def roll_call_at_the_hall(browsers: Screens, day: Day, link: str):
    page = browsers.open("site")
    page.goto(day.base + link[link.index("/site/") :])
    page.locator("#roll-call[data-live=joined]").wait_for()
    boxes = page.locator("#roll-call li").all()[:SITE_TICKS]
    for box in boxes:
        box.locator("input[name=present]").check()
        invitee = box.locator("small").first.inner_text().split(",")[0].strip()
        day.attended[invitee] = invitee
    wait_until(lambda: page.inner_text("#roll-call-status"), message="the roll call saved")
    return page


def item_titled(console, title: str) -> int:
    """The id of the agenda item with that title, from the console's state."""
    find = (
        "(function find(nodes) { for (const n of nodes || []) { if (n.title === %r) return n.id;"
        " const f = find(n.children); if (f) return f; } return null; })(live.state.agenda)"
    )
    return live_value(console, find % title)


def decide_and_assign(console, item_id: int) -> None:
    """A decision on the item, and an action for two provinces' พมจ. chosen by name."""
    console.click(f"[data-key=item-{item_id}-current]")
    decision = console.locator(f"textarea[data-key=decision-new-{item_id}]")
    decision.fill(DECISION)
    console.click(f"[data-key=decision-new-{item_id}-send]")
    wait_until(lambda: DECISION in console.inner_text("#live-decisions"), message="the decision")
    form = console.locator(".action-form")
    form.locator("input[data-key$='-title']").fill(ACTION)
    form.locator("input[data-key$='-due']").fill(be_input(ACTION_DUE))
    form.locator("select[data-key$='-role']").select_option("social_development")
    form.locator("input[data-key$='-province-some']").check()
    for name, code in (("เชียงใหม่", "TH-50"), ("สงขลา", "TH-90")):
        form.locator("input[data-key$='-province-filter']").fill(name)
        wait_until(lambda: form.locator("input[data-province]").count() == 1, message=f"{name} found")
        form.locator(f"input[data-province='{code}']").check()
    form.locator("button[data-key$='-send']").click()
    wait_until(lambda: live_value(console, "live.state.actions.items.length") == 1, message="the action")
    assert _assigned(console) == [["TH-50", "TH-90"]]  # what the server stored, from a fresh snapshot


def end_the_meeting(console) -> None:
    console.click("[data-key=end-ask]")
    console.click("[data-key=end]")
    wait_until(lambda: live_value(console, "live.state.meeting.status") == "ended", message="the end")


# --- the records after the meeting --------------------------------------------------------------------------


def invitees_on_the_board(page, statuses: tuple[str, ...] = ()) -> set[str]:
    """The invitees' names of the board's seats (of those statuses only, when given)."""
    cells = ", ".join(f"td.cell.s-{status}[data-seat]" for status in statuses) or "td.cell[data-seat]"
    rows = ", ".join(f"tr.s-{status}[data-central-seat]" for status in statuses) or "tr[data-central-seat]"
    provincial = page.eval_on_selector_all(cells, "cells => cells.map(c => c.title.split(' · ')[0])")
    central = page.eval_on_selector_all(
        ", ".join(f"{row} td:nth-child(3)" for row in rows.split(", ")),
        "cells => cells.map(c => c.childNodes[0].textContent.trim())",
    )
    return set(provincial) | set(central)


def attendance_on_the_board(page, day: Day) -> tuple[set[str], set[str], int]:
    """The ended meeting's board: the invitees it shows as attending, every invitee, its present count."""
    page.goto(f"{day.base}/meetings/{day.meeting_id}/board")
    assert page.locator("#board-recorded").count() == 1
    attended = invitees_on_the_board(page, ("present", "substitute"))
    return attended, invitees_on_the_board(page), int(page.inner_text("#board-present"))


def attendance_in_the_report(page, day: Day) -> tuple[set[str], int]:
    page.goto(f"{day.base}/meetings/{day.meeting_id}/attendance/report")
    rows = page.locator("#attendance-report-seats tr[data-status=present], "
                        "#attendance-report-seats tr[data-status=substitute]")  # fmt: skip
    names = {row.locator("td").nth(1).inner_text().strip() for row in rows.all()}
    return names, page.locator("#attendance-report-seats tbody tr").count() - len(names)


def download(page, link_text: str) -> bytes:
    with page.expect_download(timeout=180_000) as info:  # 542 names set in Thai: WeasyPrint takes its time
        page.get_by_role("link", name=link_text).click(no_wait_after=True)
    return open(info.value.path(), "rb").read()


def sections(text: str) -> dict[str, str]:
    """The minutes' three lists (normalised text) by their headings."""
    text = norm(text)
    marks = [norm(label) for label in ("ผู้มาประชุม", "ผู้ไม่มาประชุม", "ผู้เข้าร่วมประชุม", "เริ่มประชุมเวลา")]
    at = [text.index(mark) for mark in marks]
    assert at == sorted(at), "the lists are out of the regulation's order"
    return {"present": text[at[0] : at[1]], "absent": text[at[1] : at[2]], "supporting": text[at[2] : at[3]]}


def count_entries(section: str) -> int:
    """Entries are numbered 1., 2., ... through each list."""
    numbers = [int(n) for n in re.findall(r"(?<![\d/])(\d+)\.", section)]
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    return len(numbers)


def name_kept_whole(name: str, lines: list[str]) -> bool:
    """The name on one line, or wrapped onto the next only between its parts ("ตัวอย่าง รองผู้ว่าฯ /
    เชียงใหม่", never "นางสม / หญิง"). ``lines``: each line's text without white space or Thai marks."""
    parts = [bare(part) for part in name.split()]
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        for cut in range(len(parts), 0, -1):
            head, tail = "".join(parts[:cut]), "".join(parts[cut:])
            if head in line and tail in following:
                return True
    return False


def check_the_minutes(data: bytes, day: Day, attended: set[str], names: set[str], absent: int,
                      tmp_path) -> None:  # fmt: skip
    """The action under its decision with owners by name and the BE due date; page numbers; the same
    attendance as the board and the report; every name on one line."""
    from meetcore.i18n.dates import be_date

    text = pdf_text(data, tmp_path)
    whole = norm(text)
    at = whole.index(norm(DECISION))
    for line in (
        "ข้อสั่งการ",
        ACTION,
        "ผู้รับผิดชอบ: " + ACTION_OWNERS,
        "กำหนดแล้วเสร็จ: " + be_date(ACTION_DUE, "th"),
    ):
        found = whole.find(norm(line), at)
        assert found > at, f"{line!r} is missing under the decision"
        at = found
    # Started a week early: the record says the day it met (today, or tomorrow if the walk ran past
    # midnight) and the day it was called for.
    assert norm("กำหนดนัดประชุมเดิม" + thai_date_long(MEETING_DAY)) in whole
    assert any(norm("เมื่อ" + thai_date_long(TODAY + timedelta(days=days))) in whole for days in (0, 1))
    pages = page_count(data, tmp_path)
    assert pages >= 3 and norm(f"- {pages} -") in whole and norm("- 2 -") in whole
    lists = sections(text)
    assert count_entries(lists["present"]) + count_entries(lists["supporting"]) == len(attended)
    assert count_entries(lists["absent"]) == absent
    for invitee, sitting in day.attended.items():
        assert norm(invitee) in lists["present"] + lists["supporting"], invitee
        assert norm(sitting) in lists["present"] + lists["supporting"], sitting
        assert norm(invitee) not in lists["absent"], invitee
    lines = [line["text"] for page in _pdf_lines(data, tmp_path) for line in page]
    # Every name in the name column (the substitutes' own, not their invitees' after "แทน") on one line.
    replaced = {invitee for invitee, sitting in day.attended.items() if sitting != invitee}
    for name in (names - replaced) | set(day.attended.values()):
        assert name_kept_whole(name, lines), f"{name} is broken inside a part"


# --- the walk -----------------------------------------------------------------------------------------------


def test_the_secretariats_meeting_day(server, smtp, tmp_path):
    server, previous_seats = server
    day = Day(base=server.base_url)
    with chromium() as browser:
        browsers = Screens(browser, day.base)
        try:
            secretariat = browsers.open("secretariat")
            sign_in(secretariat, day.base, SECRETARIAT)
            schedule_the_meeting(secretariat, day)
            start_from_previous(secretariat, day, previous_seats)
            send_the_invitations(secretariat, day, server, smtp)
            hall_link = issue_the_site_links(secretariat, day)

            console = secretariat
            console.goto(f"{day.base}/meetings/{day.meeting_id}/live")
            wait_until(
                lambda: live_value(console, "live.state !== null && live.connected"), message="console"
            )
            start_the_meeting(console)
            joined = join_from_the_email(browsers, day, smtp)
            hall = roll_call_at_the_hall(browsers, day, hall_link)
            wait_until(lambda: live_value(console, "live.state.attendance.counts.totals.present")
                       + live_value(console, "live.state.attendance.counts.totals.substitute")
                       == len(day.attended), message="the console to count everyone in")  # fmt: skip
            decide_and_assign(console, item_titled(console, SOCIAL_MAP_TITLE))
            end_the_meeting(console)
            for page in [*joined, hall]:  # everybody closes their page after the meeting
                page.context.close()

            on_board, everyone, present = attendance_on_the_board(secretariat, day)
            assert on_board == set(day.attended) and present == len(on_board)
            in_report, absent = attendance_in_the_report(secretariat, day)
            assert in_report == on_board and absent == day.seats - len(on_board)

            secretariat.goto(f"{day.base}/meetings/{day.meeting_id}/minutes")
            pdf = download(secretariat, "ดาวน์โหลด PDF")
            docx = download(secretariat, "ดาวน์โหลด Word (DOCX)")
            check_the_minutes(pdf, day, on_board, everyone, absent, tmp_path)
            if SOFFICE is None:
                pytest.fail("LibreOffice (Debian libreoffice-writer-nogui) is not installed")
            check_the_minutes(libreoffice_pdf(docx, tmp_path), day, on_board, everyone, absent, tmp_path)
            assert browsers.errors == []
        finally:
            browsers.close()
