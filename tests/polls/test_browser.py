"""Votes in a real browser (headless Chromium through Playwright, Thai UI) against a real server process on
a scratch database holding the reference meeting (tests/live/browsers.py):

* an open vote: the secretariat prepares it on the live console, the chair opens it, two seats vote from
  their participant pages (one changes its vote), the chair sees "n of N" rise with the tally hidden,
  closes it after confirming, and every screen shows the same result with the names;
* a secret ballot the same way, with a provincial hall voting for each of its two roles ticked present
  (each role its own vote) and a seat changing its secret vote through the receipt kept in its tab.

The controls are used from the keyboard where a person would (Enter on a focused control).
"""

from __future__ import annotations

from tests.live.browsers import confirm_identity, live_value, prepare_reference, wait_until
from tests.live.servers import scratch_database_url
from tests.live.test_browser import Screens, browser, server_for, wait_for_state  # noqa: F401

APPROVE, DISAPPROVE, ABSTAIN = 0, 1, 2
QUESTION = "ที่ประชุมเห็นชอบให้ พมจ. เป็นเจ้าภาพหลักงานด้านสังคมหรือไม่"
SECRET_QUESTION = "ลงคะแนนลับ: เห็นชอบแผนที่ทางสังคมหรือไม่"
THIRD_SEAT = ("TH-50", "vice_governor")  # Chiang Mai's vice governor, a third seat on its own link
# The secret ballot is for these roles only: the hall's provincial office, present, does not vote.
SECRET_ROLES = ("vice_governor", "public_health", "social_development")


def press(page, selector: str) -> None:
    """Focus a control and press Enter, as a keyboard user does."""
    page.focus(selector)
    page.keyboard.press("Enter")


def poll_row(page, poll_id: int):
    return page.locator(f"li.live-poll[data-poll-id='{poll_id}']")


def count_of(page, poll_id: int) -> tuple[str, str] | None:
    count = poll_row(page, poll_id).locator(".poll-count")
    if not count.count():
        return None
    return count.get_attribute("data-voted"), count.get_attribute("data-entitled")


def tally_shown(page, poll_id: int) -> list[int] | None:
    cells = poll_row(page, poll_id).locator(".poll-result .poll-tally li strong")
    if not cells.count():
        return None
    return [int(text) for text in cells.all_inner_texts()]


def prepare(console, question: str, *, secret: bool = False, roles: tuple[str, ...] = ()) -> int:
    known = set(live_value(console, "live.state.polls.map((p) => p.id)"))
    if console.locator("details.poll-form[open]").count() == 0:
        press(console, "details.poll-form summary")
    console.fill("#f-poll-question", question)
    if secret:
        console.check("input[data-key=poll-secret]")
    for role in roles:
        console.check(f"input[data-key=poll-role-{role}]")
    press(console, "[data-key=poll-prepare]")
    return wait_until(lambda: next((i for i in live_value(console, "live.state.polls.map((p) => p.id)")
                                    if i not in known), None), message="the prepared poll")  # fmt: skip


def vote(page, poll_id: int, option: int, seat_id: int | None = None) -> None:
    key = (
        f"poll-{poll_id}-vote-{option}" if seat_id is None else f"poll-{poll_id}-seat-{seat_id}-vote-{option}"
    )
    wait_until(
        lambda: page.locator(f"[data-key='{key}']:not([disabled])").count(), message=f"the {key} button"
    )
    press(page, f"[data-key='{key}']")


def voted_mark(page, poll_id: int, seat_id: int | None = None) -> str | None:
    scope = poll_row(page, poll_id)
    if seat_id is not None:
        scope = scope.locator(f"[data-seat-id='{seat_id}']")
    mark = scope.locator(".poll-voted")
    return mark.inner_text() if mark.count() else None


def focus_after_moving_on(page, poll_id: int) -> str:
    """Ask to close, move straight on to "no" in the same moment, and say where the focus is a little later.
    The focus was once moved to "yes" by a timer after the redraw: when that timer ran late (a busy
    machine), it took the focus back from "no" and the next Enter closed the poll (seen as the "ask" control
    never coming back)."""
    return page.evaluate(
        """async (id) => {
          document.querySelector(`[data-key=poll-${id}-close-ask]`).click();
          document.querySelector(`[data-key=poll-${id}-close-no]`).focus();
          await new Promise((resolve) => setTimeout(resolve, 50));
          return document.activeElement.dataset.key;
        }""",
        poll_id,
    )


def close_with_confirmation(chair, poll_id: int) -> None:
    assert focus_after_moving_on(chair, poll_id) == f"poll-{poll_id}-close-no"
    chair.keyboard.press("Enter")
    assert live_value(chair, f"live.state.polls.find((p) => p.id === {poll_id}).state") == "open"
    press(chair, f"[data-key=poll-{poll_id}-close-ask]")
    # The confirmation takes the focus at once, on "yes".
    assert chair.evaluate("document.activeElement.dataset.key") == f"poll-{poll_id}-close"
    # Nothing is closed until the confirmation: the question is asked, with a way back.
    assert chair.locator(f"[data-key=poll-{poll_id}-close]").is_visible()
    press(chair, f"[data-key=poll-{poll_id}-close-no]")
    assert live_value(chair, f"live.state.polls.find((p) => p.id === {poll_id}).state") == "open"
    press(chair, f"[data-key=poll-{poll_id}-close-ask]")
    press(chair, f"[data-key=poll-{poll_id}-close]")


def test_open_and_secret_votes_on_the_live_pages(tmp_path, server_for, browser):  # noqa: F811
    url = scratch_database_url(tmp_path, "polls_browser")
    data = prepare_reference(url, more_seats={"third": THIRD_SEAT})
    server = server_for(url)
    base, meeting_id = server.base_url, data.meeting_id
    screens = Screens(browser, base)
    try:
        console = screens.staff("sec1", data.secretariat[0], f"/meetings/{meeting_id}/live")
        chair = screens.staff("chair", data.chair, f"/meetings/{meeting_id}/chair")
        # Before anything is prepared every page says so plainly.
        assert "ยังไม่มีการเตรียมการลงมติ" in console.inner_text("[data-live=polls]")
        console.click("[data-key=start]")
        wait_until(lambda: live_value(console, "live.state.meeting.status") == "live", message="the start")
        console.click(f"[data-key=item-{data.items[0]}-current]")
        wait_until(lambda: console.locator(f"li[data-item-id='{data.items[0]}'][data-state=current]").count(),
                   message="the current item")  # fmt: skip

        own = screens.open("participant", phone=True)
        confirm_identity(own, base, data.seat_links["self"], name="สมชาย ใจดี",
                         position="พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดเชียงใหม่")  # fmt: skip
        wait_for_state(own, "participant")
        substitute = screens.open("substitute", phone=True)
        confirm_identity(substitute, base, data.seat_links["substitute"], name="สมหญิง แทนดี",
                         position="รองนายแพทย์สาธารณสุขจังหวัดขอนแก่น", substitute=True)  # fmt: skip
        wait_for_state(substitute, "substitute")
        assert "ยังไม่มีการลงมติที่เปิด" in own.inner_text("[data-live=polls]")
        seats = [own, substitute]

        # --- an open vote ------------------------------------------------------------------------------
        poll_id = prepare(console, QUESTION)
        wait_until(
            lambda: chair.locator(f"[data-key=poll-{poll_id}-open]").count(), message="the chair's open"
        )
        assert own.locator(f"li.live-poll[data-poll-id='{poll_id}']").count() == 0  # a draft is the staff's
        press(chair, f"[data-key=poll-{poll_id}-open]")
        wait_until(lambda: count_of(chair, poll_id) == ("0", "2"), message="0 of 2 on the chair's page")

        vote(own, poll_id, DISAPPROVE)
        wait_until(lambda: voted_mark(own, poll_id), message="the seat's vote shown")
        assert "ไม่เห็นชอบ" in voted_mark(own, poll_id)
        vote(own, poll_id, APPROVE)  # changes its vote
        wait_until(lambda: "ไม่เห็นชอบ" not in (voted_mark(own, poll_id) or "ไม่เห็นชอบ"),
                   message="the changed vote shown")  # fmt: skip
        # The chosen option is marked, for a screen reader too.
        assert own.get_attribute(f"[data-key='poll-{poll_id}-vote-{APPROVE}']", "aria-pressed") == "true"
        assert own.get_attribute(f"[data-key='poll-{poll_id}-vote-{DISAPPROVE}']", "aria-pressed") == "false"
        wait_until(lambda: count_of(chair, poll_id) == ("1", "2"), message="1 of 2 (a change is no new vote)")
        vote(substitute, poll_id, ABSTAIN)
        for name, page in {"chair": chair, "console": console}.items():
            wait_until(lambda page=page: count_of(page, poll_id) == ("2", "2"), message=f"2 of 2 on {name}")
            row = poll_row(page, poll_id)
            assert "ลงคะแนนแล้ว 2 จาก 2" in row.inner_text()
            # The tally stays hidden until the close.
            assert row.locator(".poll-live-tally, .poll-result").count() == 0
        for page in seats:
            assert (
                count_of(page, poll_id) is None
                and poll_row(page, poll_id).locator(".poll-result").count() == 0
            )

        close_with_confirmation(chair, poll_id)
        for name, page in {
            "chair": chair,
            "console": console,
            "participant": own,
            "substitute": substitute,
        }.items():
            wait_until(
                lambda page=page: tally_shown(page, poll_id) == [1, 0, 1], message=f"the result on {name}"
            )
            assert poll_row(page, poll_id).get_attribute("data-state") == "closed"
            names = poll_row(page, poll_id).locator(".poll-result details li").all_text_contents()
            assert sorted(names) == sorted(["สมชาย ใจดี: เห็นชอบ", "สมหญิง แทนดี: งดออกเสียง"]), names
        assert own.locator(f"[data-key^=poll-{poll_id}-vote]").count() == 0

        # --- a secret ballot for some roles only: three seats and a provincial hall (two roles) vote --------
        third = screens.open("third", phone=True)
        confirm_identity(third, base, data.seat_links["third"], name="ประเสริฐ ศรีสุข",
                         position="รองผู้ว่าราชการจังหวัดเชียงใหม่")  # fmt: skip
        wait_for_state(third, "third")
        hall = screens.open("hall")
        hall.goto(f"{base}/site/{data.site_token}")
        wait_until(
            lambda: hall.locator("#roll-call[data-live=joined]").count(), message="the hall's roll call"
        )
        wait_until(lambda: hall.locator("#site-votes:not([hidden])").count(), message="the hall's votes")
        assert "ยังไม่มีการลงมติที่เปิด" not in hall.inner_text("#site-votes")  # the closed vote is listed
        # Songkhla's vice governor, its chief medical officer and its provincial office are in the hall; the
        # office's role does not vote in this poll.
        ticked = data.site_seats[:3]
        for seat_id in ticked:
            hall.check(f"input[name=present][value='{seat_id}']")
        totals = "live.state.attendance.counts.totals"
        wait_until(lambda: live_value(chair, f"{totals}.present + {totals}.substitute") == 6,
                   message="three seats and the hall's three roles present")  # fmt: skip

        secret_id = prepare(console, SECRET_QUESTION, secret=True, roles=SECRET_ROLES)
        press(chair, f"[data-key=poll-{secret_id}-open]")
        wait_until(lambda: count_of(chair, secret_id) == ("0", "5"), message="0 of 5 for the secret ballot")
        # The hall is asked for its two roles that vote, each its own ballot; the office's role is not.
        ballots = poll_row(hall, secret_id).locator(".poll-seat-ballot")
        wait_until(lambda: ballots.count() == 2, message="the hall's two ballots")
        counts_seen = []

        def cast(page, option, seat_id=None, *, shown: str) -> None:
            vote(page, secret_id, option, seat_id)
            mark = lambda: voted_mark(page, secret_id, seat_id) or ""  # noqa: E731
            wait_until(lambda: shown in mark(), message=f"the vote {shown}")
            counts_seen.append(int(wait_until(lambda: count_of(chair, secret_id), message="the count")[0]))

        cast(own, APPROVE, shown="เห็นชอบ")
        cast(own, DISAPPROVE, shown="ไม่เห็นชอบ")  # changed with the receipt kept in the tab
        cast(substitute, DISAPPROVE, shown="ไม่เห็นชอบ")
        cast(third, APPROVE, shown="เห็นชอบ")
        cast(hall, APPROVE, ticked[0], shown="เห็นชอบ")
        assert voted_mark(hall, secret_id, ticked[1]) is None  # each role its own vote
        cast(hall, ABSTAIN, ticked[1], shown="งดออกเสียง")
        wait_until(lambda: count_of(chair, secret_id) == ("5", "5"), message="5 of 5 for the secret ballot")
        # The count only rises, and a changed vote is no new one.
        assert counts_seen == sorted(counts_seen) and counts_seen[1] <= 1, counts_seen
        assert poll_row(chair, secret_id).locator(".poll-live-tally, .poll-result").count() == 0
        close_with_confirmation(chair, secret_id)
        everyone = {
            "chair": chair,
            "console": console,
            "participant": own,
            "substitute": substitute,
            "third": third,
            "hall": hall,
        }
        for name, page in everyone.items():
            wait_until(lambda page=page: tally_shown(page, secret_id) == [2, 2, 1],
                       message=f"the secret result on {name}")  # fmt: skip
            # A secret ballot names nobody.
            assert poll_row(page, secret_id).locator(".poll-result details").count() == 0

        # The minutes show both votes under their item; the secret ballot names nobody.
        minutes = console.context.new_page()
        minutes.goto(f"{base}/meetings/{meeting_id}/minutes")
        record = minutes.inner_text("#official-minutes")
        assert (
            f'ผลการลงมติ (ลงคะแนนลับ) ในประเด็น "{SECRET_QUESTION}": เห็นชอบ 2 เสียง, ไม่เห็นชอบ 2 เสียง, '
            "งดออกเสียง 1 เสียง" in record
        )
        assert "ผู้มีสิทธิออกเสียง 5 ที่นั่ง ลงคะแนน 5 ที่นั่ง" in record
        assert "สมชาย ใจดี (พัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดเชียงใหม่): เห็นชอบ" in record  # the open vote
        start = record.index(f'"{SECRET_QUESTION}"')
        secret_part = record[start : record.index("มติที่ประชุม", start)]  # the ballot's record
        assert "ประเสริฐ ศรีสุข" not in secret_part and "สงขลา" not in secret_part
        minutes.close()
        assert not screens.errors, screens.errors
    finally:
        screens.close()
