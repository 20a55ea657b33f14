"""Headless Chromium (Debian's /usr/bin/chromium) through Playwright, and the reference meeting prepared on a
scratch database for the browser tests of the live pages."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = os.environ.get("MEETCORE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "long enough password"
# Seats of the acceptance scenario: (province, role) of the roster of the reference meeting.
SELF_SEAT = ("TH-50", "social_development")  # พมจ.เชียงใหม่, attending themself
SUBSTITUTE_SEAT = ("TH-40", "public_health")  # สสจ.ขอนแก่น, through a substitute
SITE_PROVINCE = "TH-90"  # Songkhla's provincial hall ticks four roles
SITE_ROLES = 4


@contextmanager
def chromium():
    """A headless Chromium; fails (not skips) when it is not installed: the live pages are untested then."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM} (Debian package `chromium`)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        violations = watch_content_security_policy(browser)
        try:
            yield browser
        finally:
            browser.close()
    assert not violations, f"the Content-Security-Policy blocked: {violations}"


def watch_content_security_policy(browser) -> list[str]:
    """Every page this browser opens reports what the Content-Security-Policy blocked into the list returned
    (issue 13: the live pages, Janus's script and the minutes editor work under it)."""
    blocked: list[str] = []

    def report(message) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(message.text)

    def watch(page) -> None:
        page.on("console", report)

    new_context, new_page = browser.new_context, browser.new_page

    def context_watched(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on("page", watch)
        return context

    def page_watched(*args, **kwargs):
        page = new_page(*args, **kwargs)
        watch(page)
        return page

    browser.new_context, browser.new_page = context_watched, page_watched
    return blocked


@dataclass
class ReferenceData:
    meeting_id: int
    api_token: str
    secretariat: list[str]
    chair: str
    seats: dict[str, int] = field(default_factory=dict)  # name -> seat id
    seat_links: dict[str, str] = field(default_factory=dict)  # name -> token
    site_token: str = ""
    site_seats: list[int] = field(default_factory=list)
    items: list[int] = field(default_factory=list)  # agenda item ids in agenda order
    agencies: dict[str, int] = field(default_factory=dict)  # seat name -> its agency id


def prepare_reference(
    database_url: str, more_seats: dict[str, tuple[str, str]] | None = None
) -> ReferenceData:
    """Schema; two secretariat accounts and a chair; the reference roster's meeting that can be started
    (the series' scheduled next sitting of meetcore.demo.reference_meeting, 532 seats); personal links of
    two seats (and of `more_seats`: name -> (province code, role code)) and the site link of one
    province."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from meetcore import create_app
    from meetcore.actions.services import agency_of_seat
    from meetcore.actors import SYSTEM_CLI
    from meetcore.agenda.services import public_tree, walk
    from meetcore.attendance.sites import issue_site_link
    from meetcore.auth.services import create_api_token, create_user
    from meetcore.demo.reference_meeting import load_reference_meeting
    from meetcore.directory.models import Province, Role
    from meetcore.extensions import db
    from meetcore.meetings.models import Meeting
    from meetcore.seats.links import issue_seat_link
    from meetcore.seats.models import Seat

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEETCORE_ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade(revision="head")
        secretariat = [
            create_user(f"sec{n}@example.org", role="secretariat", password=PASSWORD, display_name=f"Sec {n}")
            for n in (1, 2)
        ]
        create_user("chair@example.org", role="chair", password=PASSWORD, display_name="Chair")
        token = create_api_token(secretariat[0])
        meeting = db.session.get(Meeting, load_reference_meeting()["next_meeting_id"])

        def seat(province: str, role: str) -> Seat:
            return db.session.scalars(
                sa.select(Seat).join(Province, Seat.province_id == Province.id)
                .join(Role, Seat.role_id == Role.id)
                .where(Seat.meeting_id == meeting.id, Province.code == province, Role.code == role)
            ).one()  # fmt: skip

        data = ReferenceData(meeting_id=meeting.id, api_token=token,
                             secretariat=[user.email for user in secretariat], chair="chair@example.org")
        linked = {"self": SELF_SEAT, "substitute": SUBSTITUTE_SEAT, **(more_seats or {})}
        for name, (province, role) in linked.items():
            chosen = seat(province, role)
            data.seats[name] = chosen.id
            data.seat_links[name] = issue_seat_link(chosen, by=SYSTEM_CLI)
            data.agencies[name] = agency_of_seat(chosen.id)
        data.site_token = issue_site_link(meeting, {"province_code": SITE_PROVINCE}, by=SYSTEM_CLI).token
        db.session.commit()
        site_seats = db.session.scalars(
            sa.select(Seat.id).join(Province, Seat.province_id == Province.id)
            .join(Role, Seat.role_id == Role.id)
            .where(Seat.meeting_id == meeting.id, Province.code == SITE_PROVINCE)
            .order_by(Role.sort_order, Role.code)
        ).all()  # fmt: skip
        data.site_seats = list(site_seats)
        data.items = [node["item"].id for node, _depth in walk(public_tree(meeting.id))]
        db.session.commit()  # the test is the entry point: the servers read what it made
        db.session.remove()
        db.engine.dispose()
    return data


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    try:
        page.wait_for_url(lambda url: "/login" not in url)
    except PlaywrightTimeoutError:  # say where it stopped: refused (the flash), or the answer never came
        flash = page.locator(".flash").all_inner_texts() if "/login" in page.url else []
        raise AssertionError(f"signing in did not leave {page.url}: {flash or 'no message shown'}") from None


def confirm_identity(page, base_url: str, token: str, *, name: str, position: str, substitute: bool = False):
    """The personal link's identity check (meetcore/attendance), which then opens the participant page."""
    page.goto(f"{base_url}/join/{token}/identity")
    page.check(f"input[name=attending][value={'substitute' if substitute else 'self'}]")
    page.fill("input[name=attendee_name]", name)
    page.fill("input[name=attendee_position]", position)
    page.click("form.identity-form button[type=submit]")
    page.wait_for_url("**/live/*")


def live_value(page, expression: str):
    """Evaluate `expression` with `live` bound to window.meetcoreLive (None before the page has booted)."""
    script = f"() => {{ const live = window.meetcoreLive; return live ? ({expression}) : null; }}"
    return page.evaluate(script)


def _commit_the_test() -> None:
    from flask import has_app_context

    if has_app_context():
        from meetcore.transaction import commit

        commit()


def wait_until(predicate, timeout: float = 20, interval: float = 0.1, message: str = "condition"):
    """Poll `predicate` until it returns a true value (returned); fail after `timeout` seconds. What the test
    changed through services is committed first: the test is their entry point, and what it waits for (a
    closed connection, a broadcast) follows the commit."""
    _commit_the_test()
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message} (last: {last!r})")
