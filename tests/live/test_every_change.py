"""Every change, every viewer (issue 19, the Zulip-style state test): each live command and each console
change the server declares is made once through its real entry point (a Socket.IO command, or the service
the console's request calls, committed once); then every kind of viewer (the secretariat, the chair, a
participant's seat, a provincial hall's screen) that held the snapshot from before rejoins with its last_seq,
and the events replayed to it, applied by the browser's own code (static/src/live-state.js under Node),
must give exactly the state of a fresh snapshot, without asking for one. The last test checks that the
changes made did write every kind declared in meetcore/eventlog/kinds.py, save those listed in
NOT_REACHED with the reason."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import current_app

from meetcore.actions.carryover import carry_open_actions_into
from meetcore.actions.services import create_action
from meetcore.agenda import conversion_worker, documents
from meetcore.agenda import services as agenda
from meetcore.agenda.skeleton import copy_agenda_skeleton
from meetcore.attendance import services as attendance
from meetcore.attendance import sites
from meetcore.eventlog.kinds import KINDS
from meetcore.invitations.sending import send_invitations
from meetcore.meetings.services import end_meeting, schedule_meeting, update_meeting
from meetcore.reports import services as reports
from meetcore.seats import links
from meetcore.seats.services import add_seat, remove_seat, update_seat
from meetcore.transaction import commit
from tests.clock import days_after_meeting
from tests.factories import live, seat_at, seat_socket, staff_socket  # noqa: F401  (fixtures)
from tests.floor.conftest import scheduled  # noqa: F401  (fixture)
from tests.live.replay import apply_in_browser_code, replayed_since, snapshot_of
from tests.minutes.conftest import Browser
from tests.polls.conftest import site_socket  # noqa: F401  (fixture)
from tests.starting import start_now

PDF = b"%PDF-1.4\n% the projector's document\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"\x00" * 200  # a Word file by its name and first bytes

# Declared kinds no change below writes, each with why.
NOT_REACHED = {
    "meeting.created": "written before the meeting has a live page (scheduling); no viewer holds a snapshot",
    "meeting.cancelled": "a cancelled meeting runs no other change (the meetings tests cancel one)",
    "video.moderated": "needs a Janus server to stop a publisher's stream (tests/video fakes one)",
    "video.restored": "written when a restarted Janus gets the room again: needs Janus",
    "attendance.changed": "no longer written: the log of meetings before attendance.board existed",
    "attendance.identity_confirmed": (
        "the identity-code flow runs on the seat link's HTTP pages with a mailed code "
        "(tests/attendance/test_identity.py); staff-only"
    ),
    "seats.imported": "a roster spreadsheet upload (HTTP); staff-only (tests/seats checks its board)",
    "invitations.cancelled": "written when the meeting is cancelled (see meeting.cancelled)",
    "invitations.handed_over": "a seat's reply naming a substitute (the RSVP page); staff-only",
    "invitations.reminded": (
        "written by the reminder worker days before the meeting (tests/invitations); staff-only"
    ),
    "invitations.rsvp": "a seat's calendar reply or RSVP page (HTTP); staff-only",
    "mail.resend": ("re-sending a message the mail worker failed to deliver (tests/mail); staff-only"),
}


class Meeting:
    """The meeting under test, the consoles that change it and the viewers that watch it."""

    def __init__(self, meeting, users, seats, consoles, viewers):
        self.meeting, self.users, self.seats = meeting, users, seats
        self.consoles, self.viewers = consoles, viewers
        self.ids: dict[str, int] = {}

    @property
    def secretariat(self):
        return self.users["secretariat"]

    def command(self, console: str, name: str, **values) -> dict:
        ack = self.consoles[console].emit(name, {"meeting_id": self.meeting.id, **values}, callback=True)
        assert ack.get("ok", True) is not False and "error" not in ack, (name, ack)
        return ack

    def item(self, n: int) -> int:
        return agenda.meeting_items(self.meeting.id)[n].id


def _add_items(m: Meeting) -> None:
    for title in ("เปิดประชุม", "รับรองรายงาน", "เรื่องเพื่อพิจารณา", "เรื่องอื่น ๆ"):
        agenda.add_item(m.meeting, {"title": title}, by=m.secretariat)


def _add_seat(m: Meeting) -> None:
    values = {
        "province_code": "TH-10",
        "role_code": "labour",
        "name": "นางสาวทดสอบ ใจดี",
        "position": "แรงงานกรุงเทพมหานคร",
        "email": "bkk.labour@example.org",
    }
    m.seats["bkk_lab"] = add_seat(m.meeting, values, by=m.secretariat)


def _copy_agenda(m: Meeting) -> None:
    """Lay out the agenda of another sitting of the series (made here, a month later, with one item)."""
    start = m.meeting.start_at + timedelta(days=28)
    source = _schedule_another(m, 3, start)
    agenda.add_item(source, {"title": "เรื่องที่ประธานแจ้งให้ที่ประชุมทราบ"}, by=m.secretariat)
    copy_agenda_skeleton(m.meeting, source, by=m.secretariat)


def _carry_actions(m: Meeting) -> None:
    """Bring an earlier sitting's open action (made here, with one action item) under "เรื่องสืบเนื่อง"."""
    earlier = _schedule_another(m, 4, m.meeting.start_at - timedelta(days=14))
    item = agenda.add_item(earlier, {"title": "เรื่องเพื่อพิจารณา"}, by=m.secretariat)
    start_now(earlier, by=m.secretariat)  # action items are given while a meeting sits
    create_action(
        earlier.id,
        {
            "item_id": item.id,
            "title": "จัดทำแผนที่ทางสังคม",
            "description": None,
            "due_date": days_after_meeting(60),
            "owner": {"agency_id": None, "role_code": "labour", "provinces": ["TH-90"]},
        },
        by=m.secretariat,
    )
    end_meeting(earlier, by=m.secretariat)
    carry_open_actions_into(m.meeting, by=m.secretariat)


def _schedule_another(m: Meeting, number: int, start):
    values = {
        "series_name": m.meeting.series.name,
        "title": f"การประชุมครั้งที่ {number}",
        "number": number,
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=3)).isoformat(),
        "venue": "ห้องประชุม 3",
        "status": "scheduled",
    }
    return schedule_meeting(values, by=m.secretariat)


def _add_document(m: Meeting) -> None:
    item = agenda.meeting_items(m.meeting.id)[2]
    m.ids["document"] = documents.add_document(item, io.BytesIO(PDF), "แผนงาน.pdf", by=m.secretariat).id


def _convert_office_document(m: Meeting) -> None:
    """An office file is filed, then the conversion worker's step makes its PDF (or, LibreOffice reading
    nothing in it, marks it failed): either way every viewer is told (agenda.document_pdf)."""
    item = agenda.meeting_items(m.meeting.id)[2]
    documents.add_document(item, io.BytesIO(DOCX), "สไลด์.docx", by=m.secretariat)
    commit()  # the upload's request
    assert conversion_worker.run_once(current_app._get_current_object()) == 1


def _minutes(m: Meeting) -> None:
    editor = Browser(m.consoles["secretariat"], m.meeting.id, m.item(1))
    assert editor.send(editor.type(None, "ที่ประชุมรับรองรายงานการประชุม"))["seq"]


def _floor_request(m: Meeting) -> None:
    m.ids["request"] = m.command("seat", "floor.request", seat_id=m.seats["cm_sd"].id, note="")["request_id"]


def _poll_prepare(m: Meeting) -> None:
    m.ids["poll"] = m.command("secretariat", "poll.prepare", item_id=m.item(2), question="เห็นชอบหรือไม่")[
        "poll_id"
    ]


def _poll_vote(m: Meeting) -> None:
    m.command("seat", "poll.vote", poll_id=m.ids["poll"], choices=[0], seat_id=m.seats["cm_sd"].id)


def _action_create(m: Meeting) -> None:
    owner = {"role_code": "social_development", "provinces": ["TH-50"]}
    m.ids["action"] = m.command(
        "secretariat",
        "action.create",
        item_id=m.item(2),
        title="จัดทำแผนที่ทางสังคม",
        due_date=days_after_meeting(60).isoformat(),
        owner=owner,
    )["action_id"]


def _decision(m: Meeting) -> None:
    m.ids["decision"] = m.command("secretariat", "decision.record", item_id=m.item(2), text="ที่ประชุมเห็นชอบ")[
        "decision_id"
    ]


def _identity_code_on_and_off(m: Meeting) -> None:
    """On and off in one request: left on, the participant's page (no identity confirmed) could not rejoin."""
    for required in (True, False):
        attendance.update_settings(m.meeting, {"requires_identity_code": required}, by=m.secretariat)


def _certify_at_the_next_meeting(m: Meeting) -> None:
    """The minutes are certified at the next sitting's item "รับรองรายงานการประชุม" (that sitting is
    scheduled and started here)."""
    later = _schedule_another(m, 2, m.meeting.start_at + timedelta(days=14))
    agenda.add_item(later, {"title": "รับรองรายงานการประชุม"}, by=m.secretariat)
    start_now(later, by=m.secretariat)
    reports.certify(m.meeting, {}, by=m.secretariat)


def _console(change):
    """A console change: the service its request calls, then the request's one commit."""

    def made(m: Meeting) -> None:
        change(m)
        commit()

    return made


# (what is changed, how): in an order a meeting day could take.
CHANGES = [
    ("seats: add one with an e-mail", _console(_add_seat)),
    ("invitations: send", _console(lambda m: send_invitations(m.meeting, {}, by=m.secretariat))),
    (
        "meeting: venue",
        _console(lambda m: update_meeting(m.meeting, {"venue": "ห้องประชุม 5"}, by=m.secretariat)),
    ),
    (
        "seats: another attendee (invitation reassigned)",
        _console(
            lambda m: update_seat(
                m.seats["bkk_lab"],
                {"name": "นายทดแทน มีสุข", "email": "bkk.labour2@example.org"},
                by=m.secretariat,
            )
        ),
    ),
    ("agenda: copied from another sitting", _console(_copy_agenda)),
    ("actions: carried from an earlier sitting", _console(_carry_actions)),
    (
        "seats: remove (its invitation cancelled)",
        _console(lambda m: remove_seat(m.seats.pop("bkk_lab"), by=m.secretariat)),
    ),
    (
        "agenda: standard sections",
        _console(lambda m: agenda.insert_standard_sections(m.meeting, by=m.secretariat)),
    ),
    ("meeting.start", lambda m: m.command("secretariat", "meeting.start", confirm_early=True)),
    ("agenda: add items", _console(_add_items)),
    (
        "agenda: retitle",
        _console(
            lambda m: agenda.update_item(
                agenda.meeting_items(m.meeting.id)[3], {"title": "เรื่องอื่น ๆ (ถ้ามี)"}, by=m.secretariat
            )
        ),
    ),
    (
        "agenda: move",
        _console(
            lambda m: agenda.move_item(
                agenda.meeting_items(m.meeting.id)[3], {"position": 0}, by=m.secretariat
            )
        ),
    ),
    (
        "agenda: indent",
        _console(lambda m: agenda.indent(agenda.meeting_items(m.meeting.id)[2], by=m.secretariat)),
    ),
    (
        "agenda: delete",
        _console(lambda m: agenda.delete_item(agenda.meeting_items(m.meeting.id)[0], by=m.secretariat)),
    ),
    ("agenda: add again", _console(_add_items)),
    ("agenda: document", _console(_add_document)),
    ("agenda: office document made PDF", _convert_office_document),
    ("agenda.set_current", lambda m: m.command("secretariat", "agenda.set_current", item_id=m.item(1))),
    (
        "agenda.mark_done",
        lambda m: m.command("secretariat", "agenda.mark_done", item_id=m.item(1), done=True),
    ),
    ("minutes.update", _minutes),
    ("decision.record", _decision),
    (
        "decision.update",
        lambda m: m.command(
            "secretariat", "decision.update", decision_id=m.ids["decision"], text="ที่ประชุมเห็นชอบตามเสนอ"
        ),
    ),
    ("decision.delete", lambda m: m.command("secretariat", "decision.delete", decision_id=m.ids["decision"])),
    ("decision.record again", _decision),
    ("action.create", _action_create),
    (
        "action.update",
        lambda m: m.command(
            "secretariat", "action.update", action_id=m.ids["action"], title="จัดทำแผนที่ทางสังคมให้เสร็จ"
        ),
    ),
    ("action.cancel", lambda m: m.command("secretariat", "action.cancel", action_id=m.ids["action"])),
    ("action.create again", _action_create),
    ("floor.request", _floor_request),
    ("floor.withdraw", lambda m: m.command("seat", "floor.withdraw", request_id=m.ids["request"])),
    ("floor.request again", _floor_request),
    ("floor.set_limit", lambda m: m.command("chair", "floor.set_limit", seconds=180, scope="default")),
    ("floor.grant", lambda m: m.command("chair", "floor.grant", request_id=m.ids["request"])),
    (
        "projector.show",
        lambda m: m.command("secretariat", "projector.show", document_id=m.ids["document"], page=1, pages=3),
    ),
    ("projector.turn", lambda m: m.command("secretariat", "projector.turn", page=2)),
    ("projector.stop", lambda m: m.command("secretariat", "projector.stop")),
    ("floor.revoke", lambda m: m.command("chair", "floor.revoke", request_id=m.ids["request"])),
    ("poll.prepare", _poll_prepare),
    (
        "poll.update",
        lambda m: m.command("secretariat", "poll.update", poll_id=m.ids["poll"], question="เห็นชอบแผนหรือไม่"),
    ),
    ("poll.delete", lambda m: m.command("secretariat", "poll.delete", poll_id=m.ids["poll"])),
    ("poll.prepare again", _poll_prepare),
    ("poll.open", lambda m: m.command("chair", "poll.open", poll_id=m.ids["poll"])),
    ("poll.vote", _poll_vote),
    ("poll.close", lambda m: m.command("chair", "poll.close", poll_id=m.ids["poll"])),
    (
        "site.roll_call (hall tick)",
        lambda m: m.command("hall", "site.roll_call", seat_id=m.seats["sk_sd"].id, present=True),
    ),
    (
        "site.roll_call (untick)",
        lambda m: m.command("hall", "site.roll_call", seat_id=m.seats["sk_sd"].id, present=False),
    ),
    (
        "video.quality",
        lambda m: m.command(
            "seat",
            "video.quality",
            bitrate_in=800_000,
            bitrate_out=600_000,
            loss=0.01,
            rtt_ms=40,
            audio_only=False,
        ),
    ),
    ("attendance: identity code on and off", _console(_identity_code_on_and_off)),
    (
        "attendance: hall link",
        _console(lambda m: sites.issue_site_link(m.meeting, {"province_code": "TH-50"}, by=m.secretariat)),
    ),
    (
        "attendance: hall links revoked",
        _console(lambda m: sites.revoke_site_links(m.meeting, "TH-50", by=m.secretariat)),
    ),
    (
        "seats: details",
        _console(lambda m: update_seat(m.seats["sk_lab"], {"name": "นายสมชาย ใจดี"}, by=m.secretariat)),
    ),
    ("seats: link", _console(lambda m: links.issue_seat_link(m.seats["sk_lab"], by=m.secretariat))),
    (
        "seats: links revoked",
        _console(lambda m: links.revoke_seat_links(m.seats["sk_lab"], by=m.secretariat)),
    ),
    ("floor.request (left open)", _floor_request),
    ("meeting.end (closes the floor)", lambda m: m.command("secretariat", "meeting.end")),
    (
        "minutes: details",
        _console(
            lambda m: reports.update_details(
                m.meeting, {"recorder_name": "นางสาวสุดา รักงาน"}, by=m.secretariat
            )
        ),
    ),
    ("minutes: circulate", _console(lambda m: reports.circulate(m.meeting, {}, by=m.secretariat))),
    ("minutes: certify", _console(_certify_at_the_next_meeting)),
    (
        "minutes: amend",
        _console(lambda m: reports.amend(m.meeting, {"text": "แก้ไขชื่อผู้เข้าประชุม"}, by=m.secretariat)),
    ),
]

VIEWERS = ("staff", "chair", "participant", "hall")
PARTICIPANTS = {"participant", "hall"}

# Bugs this test found and left (too big for it): (change, viewer) -> (the snapshot part that differs, why).
# Each must still differ there, and only there: fixed, it fails here until taken off the list.
KNOWN_GAPS: dict[tuple[str, str], tuple[str, str]] = {}


@pytest.fixture()
def day(scheduled, users, staff_socket, seat_socket, site_socket):  # noqa: F811
    """The floor tests' meeting, not started yet: Chiang Mai and Songkhla × พมจ. and labour."""
    seats = {
        "cm_sd": seat_at(scheduled, "TH-50", "social_development"),
        "sk_sd": seat_at(scheduled, "TH-90", "social_development"),
        "sk_lab": seat_at(scheduled, "TH-90", "labour"),
    }
    consoles = {
        "secretariat": staff_socket("secretariat", scheduled),
        "chair": staff_socket("chair", scheduled),
        "seat": seat_socket(seats["cm_sd"]),
        "hall": site_socket(scheduled, "TH-90"),
    }
    viewers = {
        "staff": staff_socket("secretariat", scheduled),
        "chair": staff_socket("chair", scheduled),
        "participant": seat_socket(seats["cm_sd"]),
        "hall": site_socket(scheduled, "TH-90"),
    }
    commit()
    return Meeting(scheduled, users, seats, consoles, viewers)


def _run_the_day(day: Meeting) -> tuple[list[dict], list[dict]]:
    """Every change in turn; for each, every viewer's (held snapshot, replayed events) and fresh snapshot."""
    trials, fresh = [], []
    held = {name: snapshot_of(sio, day.meeting.id) for name, sio in day.viewers.items()}
    for what, change in CHANGES:
        change(day)
        for name, sio in day.viewers.items():
            events = replayed_since(sio, day.meeting.id, held[name])
            trials.append(
                {
                    "snapshot": held[name],
                    "events": events,
                    "participant": name in PARTICIPANTS,
                    "viewer": name,
                    "change": what,
                }
            )
            held[name] = snapshot_of(sio, day.meeting.id)
            fresh.append(held[name])
    return trials, fresh


def test_every_change_replayed_to_every_viewer_rebuilds_a_fresh_snapshot(day):
    trials, fresh = _run_the_day(day)
    rebuilt = apply_in_browser_code(trials)
    failures = []
    for made, result, expected in zip(trials, rebuilt, fresh, strict=True):
        where = f"{made['change']} seen by {made['viewer']}: {[e['kind'] for e in made['events']]}"
        differ = sorted(
            part
            for part in set(expected) | set(result["state"])
            if expected.get(part) != result["state"].get(part)
        )
        known = KNOWN_GAPS.get((made["change"], made["viewer"]))
        if "resync" in result["results"]:
            failures.append(f"{where} needed a fresh snapshot")
        elif differ != ([known[0]] if known else []):
            failures.append(f"{where} differs in {differ}" + (f" (known gap: {known[0]})" if known else ""))
    assert not failures, "\n".join(failures)

    written = {event["kind"] for made in trials if made["viewer"] == "staff" for event in made["events"]}
    assert not written & set(NOT_REACHED), written & set(NOT_REACHED)
    assert set(KINDS) - set(NOT_REACHED) <= written, sorted(set(KINDS) - set(NOT_REACHED) - written)
