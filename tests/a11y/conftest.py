"""The pages the accessibility checks walk (issue 15, item 7): the console of a meeting, the live pages and
the participant pages, served by a real server process over the reference meeting, in session, with its
invitations sent, a site link, a personal link, an action and its agency's follow-up link."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.clock import TODAY
from tests.live.browsers import chromium, confirm_identity, prepare_reference, sign_in
from tests.live.servers import ServerProcess, scratch_database_url

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
VIEWPORTS = {"phone": PHONE, "laptop": LAPTOP}
# The interface languages. MeetCore takes the visitor's choice (/lang/<code>, kept in the session), else the
# account's, else MEETCORE_DEFAULT_LOCALE; never the browser's Accept-Language (meetcore/i18n/setup.py).
LANGUAGES = ("th", "en")


@dataclass(frozen=True)
class Page:
    """One page to check: who opens it (a user's e-mail, "seat" for the personal link's attendee, None for
    no one signed in) and its path."""

    name: str
    who: str | None
    path: str
    live: bool = False  # drawn from the live state: wait for the live module's first snapshot


@dataclass
class Site:
    browser: object
    base_url: str
    seat_link: str
    pages: dict[str, Page] = field(default_factory=dict)
    contexts: dict = field(default_factory=dict)  # (who, viewport) -> browser context


def _extras(database_url: str, data) -> dict[str, str]:
    """What the reference data lacks for these pages: the meeting in session, its invitations sent (a reply
    link), an action given to the personal link's agency, and that agency's follow-up link."""
    import sqlalchemy as sa

    from meetcore import create_app
    from meetcore.actions.grants import issue_agency_link
    from meetcore.actions.services import create_action
    from meetcore.auth.models import User
    from meetcore.directory.models import Agency
    from meetcore.extensions import db
    from meetcore.invitations.messages import rsvp_token
    from meetcore.invitations.models import Invitation
    from meetcore.invitations.sending import send_invitations
    from meetcore.meetings.models import Meeting
    from meetcore.transaction import commit
    from tests.starting import start_now

    # The server's key (tests/live/servers.py): reply links are signed with it.
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading",
                      "SECRET_KEY": "live-test-secret"})
    with app.app_context():
        secretariat = db.session.scalars(sa.select(User).where(User.email == data.secretariat[0])).one()
        meeting = db.session.get(Meeting, data.meeting_id)
        send_invitations(meeting, by=secretariat)
        invitation = db.session.scalars(
            sa.select(Invitation).where(Invitation.seat_id == data.seats["self"]).order_by(Invitation.id)
        ).first()
        start_now(meeting, by=secretariat)
        action = create_action(meeting.id, {
            "item_id": data.items[-1], "title": "จัดทำแผนที่ทางสังคมของจังหวัด",
            "owner": {"agency_id": data.agencies["self"]}, "due_date": TODAY + timedelta(days=30),
        }, by=secretariat)  # fmt: skip
        followup = issue_agency_link(db.session.get(Agency, data.agencies["self"]), by=secretariat)
        tokens = {"rsvp": rsvp_token(invitation), "followup": followup,
                  "assignment": str(action.assignments[0].id)}
        commit()
        db.session.remove()
        db.engine.dispose()
    return tokens


def _pages(data, tokens: dict[str, str]) -> dict[str, Page]:
    sec, chair, meeting = data.secretariat[0], data.chair, f"/meetings/{data.meeting_id}"
    seat_link, site_link = data.seat_links["self"], data.site_token
    pages = [
        # The console of a meeting.
        Page("login", None, "/login"),
        Page("meetings", sec, "/"),
        Page("dashboard", sec, "/actions"),
        Page("new-meeting", sec, "/meetings/new"),
        Page("meeting", sec, meeting),
        Page("agenda", sec, f"{meeting}/agenda"),
        Page("agenda-item", sec, f"{meeting}/agenda/items/{data.items[0]}/edit"),
        Page("roster", sec, f"{meeting}/roster"),
        Page("seat", sec, f"{meeting}/roster/new"),
        Page("board", sec, f"{meeting}/board"),
        Page("invitations", sec, f"{meeting}/invitations"),
        Page("attendance", sec, f"{meeting}/attendance"),
        Page("sites", sec, f"{meeting}/sites"),
        Page("minutes", sec, f"{meeting}/minutes"),
        Page("actions", sec, f"/actions?meeting={data.meeting_id}"),
        # The live pages.
        Page("console", sec, f"{meeting}/live", live=True),
        Page("chair", chair, f"{meeting}/chair", live=True),
        Page("participant", "seat", f"/live/{data.meeting_id}", live=True),
        Page("site", None, f"/site/{site_link}"),
        # The participant's pages.
        Page("join", None, f"/join/{seat_link}"),
        Page("identity", None, f"/join/{seat_link}/identity"),
        Page("rsvp", None, f"/rsvp/{tokens['rsvp']}"),
        Page("followup", None, f"/followup/link/{tokens['followup']}"),
        Page("assignment", None, f"/followup/link/{tokens['followup']}/assignments/{tokens['assignment']}"),
    ]
    return {page.name: page for page in pages}


# The package's scope, not the session's: a Playwright left running would refuse every later browser test of
# this worker ("Sync API inside the asyncio loop").
@pytest.fixture(scope="package")
def a11y_site(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("a11y")
    url = scratch_database_url(tmp_path, "a11y")
    data = prepare_reference(url)
    tokens = _extras(url, data)
    server = ServerProcess(url, tmp_path, name="a11y").start()
    try:
        with chromium() as browser:
            site = Site(browser, server.base_url, data.seat_links["self"], _pages(data, tokens))
            assert list(site.pages) == PAGE_NAMES
            yield site
            for context in site.contexts.values():
                context.close()
    finally:
        server.stop()


def _context(site: Site, who: str | None, viewport: str):
    """One browser context per visitor and viewport, signed in once. The Content-Security-Policy is bypassed
    only so that Playwright may inject axe-core's script; the pages' own CSP is tested elsewhere
    (tests/live/browsers.py watches it in every other browser test)."""
    key = (who, viewport)
    if key not in site.contexts:
        context = site.browser.new_context(viewport=VIEWPORTS[viewport], locale="th-TH", bypass_csp=True,
                                           is_mobile=viewport == "phone", has_touch=viewport == "phone")
        page = context.new_page()
        if who == "seat":
            confirm_identity(page, site.base_url, site.seat_link, name="นางสาวทดสอบ เข้าถึงได้",
                             position="พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดเชียงใหม่")
        elif who is not None:
            sign_in(page, site.base_url, who)
        page.close()
        site.contexts[key] = context
    return site.contexts[key]


def open_page(site: Site, name: str, viewport: str, language: str = "th"):
    """A new tab of the right visitor on the page `name` in `language`, loaded (and, for a live page, its
    first snapshot drawn). The language is chosen as a visitor chooses it, through /lang/<code>, on every
    opening: one signed-in context per visitor and viewport serves both languages, whatever order the tests
    run in."""
    spec = site.pages[name]
    page = _context(site, spec.who, viewport).new_page()
    response = page.goto(f"{site.base_url}/lang/{language}?next={quote(spec.path)}")
    assert response is not None and response.status == 200, (name, response and response.status)
    assert page.url == site.base_url + spec.path, (name, page.url)
    shown_in = page.get_attribute("html", "lang")
    assert shown_in == language, f"{name} is shown in {shown_in!r}, not {language!r}"
    if spec.live:
        page.wait_for_function("() => window.meetcoreLive && window.meetcoreLive.state"
                               " && window.meetcoreLive.state.meeting", timeout=20000)
    page.wait_for_load_state("load")
    return page


PAGE_NAMES = [
    "login", "meetings", "dashboard", "new-meeting", "meeting", "agenda", "agenda-item", "roster", "seat",
    "board", "invitations", "attendance", "sites", "minutes", "actions", "console", "chair", "participant",
    "site", "join", "identity", "rsvp", "followup", "assignment",
]  # fmt: skip
