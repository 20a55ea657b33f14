"""The document projector in real browsers (issue 16, item 4; no Janus: the projector is independent of the
video): the secretariat uploads an agenda PDF, shows it and turns its pages from the console; two province
participant pages render the presenter's page with pdf.js, each from the document fetched once; one pages
ahead, stops following, then "Follow the presenter" brings it back; each page has its own zoom.

The delay from the presenter's click to each province's drawn page is printed (performance.timeOrigin +
performance.now() on both pages, one machine's clock); the assertions are on page numbers only."""

from __future__ import annotations

import pytest

from tests.a11y.test_axe import BLOCKING, axe_violations, describe
from tests.a11y.test_keyboard import CONTROLS, FROM_THE_TOP, tab_walk
from tests.live.browsers import chromium, confirm_identity, live_value, prepare_reference, sign_in, wait_until
from tests.live.servers import LiveClient, ServerProcess, scratch_database_url

PAGES = 6
# The presenter's click on "next page", and when it happened (performance.timeOrigin + performance.now()).
CLICK_NEXT = """() => {
  const at = performance.timeOrigin + performance.now();
  document.querySelector('[data-key=projector-next]').click();
  return at;
}"""


def pdf_with_pages(count: int) -> bytes:
    """A PDF of `count` pages; page n shows n black bars (no fonts: nothing for pdf.js to fetch)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * n} 0 R" for n in range(count))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    for n in range(count):
        bars = "".join(f"{40 + 50 * bar} 300 30 200 re f\n" for bar in range(n + 1))
        stream = bars.encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * n} 0 R >>"
                       .encode())  # fmt: skip
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server and reference meeting for the module (preparing the 532 seats is the slow part)."""
    folder = tmp_path_factory.mktemp("projector")
    url = scratch_database_url(folder, "projector")
    data = prepare_reference(url)
    started = ServerProcess(url, folder, name="projector").start()
    yield started, data
    started.stop()


def projector(page, expression: str):
    return page.evaluate(f"() => {{ const p = window.meetcoreProjector; return p ? ({expression}) : null; }}")


def drawn_at(page, number: int):
    """When `page` last drew page `number` (performance.timeOrigin + performance.now()); None: never."""
    return projector(page, f"(p.renders.filter((r) => r.page === {number}).pop() || {{}}).at || null")


def page_opener(browser, errors: list[str]):
    """open_page(name): a laptop-sized Thai page in a context of its own, its script errors in `errors`."""

    def open_page(name: str):
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH").new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda error: errors.append(f"{name}: {error}"))
        return page

    return open_page


def file_pdf_then_open_console(console, base: str, meeting_id: int, item_id: int, name: str, pages: int):
    """The secretariat files a PDF of `pages` pages under an agenda item, then opens the live console."""
    console.goto(f"{base}/meetings/{meeting_id}/agenda/items/{item_id}/edit")
    upload = {"name": name, "mimeType": "application/pdf", "buffer": pdf_with_pages(pages)}
    console.set_input_files("#document-file", files=[upload])
    console.locator("#document-file").evaluate("input => input.form.requestSubmit()")
    console.wait_for_url("**#documents")
    console.goto(f"{base}/meetings/{meeting_id}/live")
    wait_until(lambda: live_value(console, "live.state !== null && live.connected"), message="the console")


def test_the_presenter_turns_pages_and_two_provinces_follow(server):
    live, data = server
    base, meeting_id = live.base_url, data.meeting_id
    with chromium() as browser:
        errors: list[str] = []
        open_page = page_opener(browser, errors)

        # The secretariat files a six-page PDF under the first item, then starts the meeting.
        console = open_page("console")
        sign_in(console, base, data.secretariat[0])
        file_pdf_then_open_console(console, base, meeting_id, data.items[0], "นโยบายเร่งด่วน.pdf", PAGES)
        console.click("[data-key=start]")
        wait_until(lambda: live_value(console, "live.state.meeting.status") == "live", message="the start")

        provinces = {}
        for name, (person, position) in {"self": ("สมชาย ใจดี", "พมจ.เชียงใหม่"),
                                         "substitute": ("สมหญิง แทนดี", "รอง สสจ.ขอนแก่น")}.items():  # fmt: skip
            provinces[name] = open_page(name)
            confirm_identity(provinces[name], base, data.seat_links[name], name=person, position=position,
                             substitute=name == "substitute")  # fmt: skip
            wait_until(lambda page=provinces[name]: live_value(page, "live.state !== null && live.connected"),
                       message=f"{name}'s participant page")  # fmt: skip
        assert "ยังไม่มีเอกสารที่กำลังนำเสนอ" in provinces["self"].inner_text("#projector-status")
        assert provinces["self"].locator("[data-key=projector-show]").count() == 0  # not the floor holder

        console.click("[data-key=projector-show]")
        everyone = {"console": console, **provinces}
        for name, page in everyone.items():
            wait_until(lambda page=page: projector(page, "p.shownPage") == 1, message=f"page 1 on {name}")

        # The presenter turns pages (buttons, then the arrow key); both provinces show the same page.
        delays = []
        for number in range(2, PAGES):
            if number % 2:
                started = console.evaluate("() => performance.timeOrigin + performance.now()")
                console.keyboard.press("ArrowRight")
            else:
                started = console.evaluate(CLICK_NEXT)
            for name, page in provinces.items():
                wait_until(lambda page=page, number=number: projector(page, "p.shownPage") == number,
                           message=f"page {number} on {name}")  # fmt: skip
                delays.append(drawn_at(page, number) - started)
            wait_until(lambda number=number: projector(console, "p.shownPage") == number,
                       message="the presenter's own page")  # fmt: skip
            shown = {name: projector(page, "p.shownPage") for name, page in everyone.items()}
            assert shown == {name: number for name in everyone}, shown
        print(f"\npage turn → drawn on two provinces: {', '.join(f'{d:.0f}' for d in delays)} ms "
              f"(max {max(delays):.0f} ms)")
        presenter_page = PAGES - 1

        # One province pages ahead: the presenter's next turn does not move it; "follow" brings it back.
        ahead = provinces["self"]
        ahead.click("[data-key=projector-ahead]")
        wait_until(lambda: projector(ahead, "p.shownPage") == PAGES, message="the page ahead")
        assert projector(ahead, "p.following") is False
        assert "ผู้นำเสนออยู่ที่หน้า 5" in ahead.inner_text("#projector-status")
        console.click("[data-key=projector-previous]")
        presenter_page -= 1
        wait_until(lambda: projector(provinces["substitute"], "p.shownPage") == presenter_page,
                   message="the follower on the presenter's page")  # fmt: skip
        assert projector(ahead, "p.presenterPage") == presenter_page
        assert projector(ahead, "p.shownPage") == PAGES
        ahead.click("#projector-follow")
        wait_until(lambda: projector(ahead, "p.shownPage") == presenter_page, message="following again")
        assert projector(ahead, "p.following") is True and ahead.locator("#projector-follow").count() == 0

        # Each page has its own zoom; every page fetched the document once, whatever the turns.
        provinces["substitute"].click("[data-key=projector-zoom-in]")
        wait_until(lambda: provinces["substitute"].get_attribute("#projector-canvas", "data-zoom") == "1.25",
                   message="the zoomed page")  # fmt: skip
        assert ahead.get_attribute("#projector-canvas", "data-zoom") == "1"
        assert [projector(page, "p.fetches") for page in everyone.values()] == [1, 1, 1]

        # Stopping takes the document off every page.
        console.click("[data-key=projector-stop]")
        for name, page in provinces.items():
            wait_until(lambda page=page: page.locator(".projector-stage").is_hidden(),
                       message=f"stop on {name}")  # fmt: skip
        assert not errors, errors


# pdf.js stuck, as a worker on a loaded machine can be: the first getPage of page 2 never settles, and the
# first render of page 3 draws but never says so. Installed on the page before pdf.js loads.
STUCK_PDFJS = """(() => {
  const hang = { getPage: 2, render: 3 };
  window.stuckPdfjs = [];
  function stuckRender(page) {
    if (page.stuckRender) return page; // pdf.js keeps one proxy per page
    page.stuckRender = true;
    const render = page.render.bind(page);
    page.render = (params) => {
      const task = render(params);
      if (page.pageNumber !== hang.render) return task;
      hang.render = null;
      window.stuckPdfjs.push(`render ${page.pageNumber}`);
      return { cancel: () => task.cancel(), promise: new Promise((_, reject) => task.promise.catch(reject)) };
    };
    return page;
  }
  function stuckDocument(doc) {
    const getPage = doc.getPage.bind(doc);
    doc.getPage = (number) => {
      if (number !== hang.getPage) return getPage(number).then(stuckRender);
      hang.getPage = null;
      window.stuckPdfjs.push(`getPage ${number}`);
      return new Promise(() => {});
    };
    return doc;
  }
  let lib;
  Object.defineProperty(window, 'pdfjsLib', { configurable: true, get() { return lib; }, set(value) {
    lib = Object.create(value, { getDocument: { value: (params) => {
      const task = value.getDocument(params);
      Object.defineProperty(task, 'promise', { value: task.promise.then(stuckDocument) });
      return task;
    } } });
  } });
})()"""


def test_a_stuck_pdfjs_does_not_hold_a_province_behind_the_presenter(server):
    """A province's pdf.js that never settles one getPage, then one render (a stuck worker under load): the
    watchdog drops each attempt, reopens the document on a new worker from the bytes it kept (no second
    fetch), and the page still reaches the presenter's page each time."""
    live, data = server
    base, meeting_id = live.base_url, data.meeting_id
    staff = LiveClient(live, {"api_token": data.api_token})
    title = "แผนงานจังหวัด"
    try:
        staff.call("meeting.start", {"meeting_id": meeting_id})  # unless a test above started it
        with chromium() as browser:
            errors: list[str] = []
            open_page = page_opener(browser, errors)
            console = open_page("console")
            sign_in(console, base, data.secretariat[0])
            file_pdf_then_open_console(console, base, meeting_id, data.items[2], f"{title}.pdf", 4)
            province = open_page("province")
            province.context.add_init_script(STUCK_PDFJS)
            confirm_identity(province, base, data.seat_links["self"], name="สมชาย ใจดี",
                             position="พมจ.เชียงใหม่")  # fmt: skip
            wait_until(lambda: live_value(province, "live.state !== null && live.connected"),
                       message="the province")  # fmt: skip

            console.select_option("#f-projector-document", label=title)
            console.click("[data-key=projector-show]")
            wait_until(lambda: projector(province, "p.shownPage") == 1, timeout=60, message="page 1")
            for number, stuck in ((2, "getPage 2"), (3, "render 3")):
                console.click("[data-key=projector-next]")
                wait_until(lambda number=number: projector(console, "p.presenterPage") == number,
                           message=f"the presenter's page {number}")  # fmt: skip
                wait_until(lambda number=number: projector(province, "p.shownPage") == number, timeout=90,
                           message=f"page {number} on the province, past a stuck pdf.js")  # fmt: skip
                assert stuck in province.evaluate("() => window.stuckPdfjs")
            assert province.evaluate("() => window.stuckPdfjs") == ["getPage 2", "render 3"]
            assert projector(province, "[p.stalls, p.reopens, p.fetches]") == [2, 1, 1]
            assert "หน้า 3 จาก 4" in province.inner_text("#projector-status")
            console.click("[data-key=projector-stop]")
            assert not errors, errors
    finally:
        staff.close()


def test_the_console_board_shows_each_sites_line_live(server):
    """Issue 16, item 5: a province's page reports its line (here a raw client of its seat, as the video
    panel does every 5 s); the secretariat's console shows the site, its level and figures, live."""
    live, data = server
    base, meeting_id = live.base_url, data.meeting_id
    staff = LiveClient(live, {"api_token": data.api_token})
    seat = LiveClient(live, {"seat_token": data.seat_links["substitute"]})
    try:
        staff.call("meeting.start", {"meeting_id": meeting_id})  # unless the test above started it
        with chromium() as browser:
            console = browser.new_context(locale="th-TH").new_page()
            sign_in(console, base, data.secretariat[0])
            console.goto(f"{base}/meetings/{meeting_id}/live")
            wait_until(lambda: live_value(console, "live.state !== null && live.connected"),
                       message="the console")  # fmt: skip
            figures = {"meeting_id": meeting_id, "bitrate_in": 96_000, "bitrate_out": 0, "loss": 0.14,
                       "rtt_ms": 420, "audio_only": True}  # fmt: skip
            answer = seat.call("video.quality", figures)
            assert answer["ok"], answer
            row = console.locator(f"#live-quality tr[data-endpoint='seat-{data.seats['substitute']}']")
            row.wait_for()
            assert row.get_attribute("data-level") == "bad"
            text = row.inner_text()
            assert "แย่" in text and "96 kbit/s" in text and "14.0%" in text and "420 ms" in text, text
            assert "รับเฉพาะเสียง" in text
    finally:
        staff.close()
        seat.close()


def hall_status(hall) -> str:
    return hall.inner_text("#site-projector #projector-status")


def hall_projector_accessible(browser, url: str) -> None:
    """The hall's projector, a document shown: no serious or critical axe violation, and each of its
    controls reached by Tab with its focus shown (tests/a11y; axe is injected, so CSP is bypassed here)."""
    viewport = {"width": 1280, "height": 900}
    page = browser.new_context(viewport=viewport, locale="th-TH", bypass_csp=True).new_page()
    try:
        page.goto(url)
        wait_until(lambda: projector(page, "p.shownPage"), message="the hall's page drawn")
        blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
        assert not blocking, describe(blocking)
        controls = page.evaluate(CONTROLS)
        own = set(page.evaluate("() => [...document.querySelectorAll('#site-projector [data-a11y-key]')]"
                                ".map((e) => e.dataset.a11yKey)"))  # fmt: skip
        assert len(own) >= 5, own  # zoom out and in, previous and next page, the (scrolling) page itself
        page.evaluate(FROM_THE_TOP)
        landed = tab_walk(page, budget=2 * len(controls) + 20)
        reached = {focus["key"]: focus for focus in landed if focus["key"] in own}
        assert set(reached) == own and all(focus["ring"] for focus in reached.values()), landed
    finally:
        page.context.close()


def test_the_provincial_hall_follows_the_presenter_and_catches_up_after_reconnecting(server):
    """The hall's page (its site link, no account) shows the presenter's page, pages ahead from the keyboard
    with its own zoom, and after its socket reconnects (a replay after a cut, then a fresh snapshot) shows
    the presenter's page again and keeps following the events that come after."""
    live, data = server
    base, meeting_id = live.base_url, data.meeting_id
    staff = LiveClient(live, {"api_token": data.api_token})
    pages, title = 5, "แผนที่ทางสังคม"
    try:
        staff.call("meeting.start", {"meeting_id": meeting_id})  # unless a test above started it
        with chromium() as browser:
            errors: list[str] = []
            open_page = page_opener(browser, errors)
            console = open_page("console")
            sign_in(console, base, data.secretariat[0])
            file_pdf_then_open_console(console, base, meeting_id, data.items[1], f"{title}.pdf", pages)

            hall = open_page("hall")
            hall.goto(f"{base}/site/{data.site_token}")
            hall.locator("#site-projector:not([hidden])").wait_for()
            wait_until(lambda: "ยังไม่มีเอกสารที่กำลังนำเสนอ" in hall_status(hall), message="nothing shown yet")
            assert hall.locator("#site-projector [data-key=projector-show]").count() == 0  # it never presents

            console.select_option("#f-projector-document", label=title)
            console.click("[data-key=projector-show]")
            wait_until(lambda: projector(hall, "p.shownPage") == 1, message="page 1 on the hall")
            assert f"หน้า 1 จาก {pages}" in hall_status(hall)
            assert title in hall.inner_text("#site-projector .projector-title")
            started = console.evaluate(CLICK_NEXT)
            wait_until(lambda: projector(hall, "p.shownPage") == 2, message="page 2 on the hall")
            print(f"\npage turn → drawn on the hall's page: {drawn_at(hall, 2) - started:.0f} ms")

            hall_projector_accessible(browser, f"{base}/site/{data.site_token}")

            # Paging ahead from the keyboard, with nothing focused, as on a participant's page; its own zoom.
            hall.evaluate("() => document.activeElement && document.activeElement.blur()")
            hall.keyboard.press("ArrowRight")
            wait_until(lambda: projector(hall, "p.shownPage") == 3, message="the hall's page ahead")
            assert projector(hall, "p.following") is False and projector(hall, "p.presenterPage") == 2
            hall.focus("#site-projector [data-key=projector-zoom-in]")
            hall.keyboard.press("Enter")
            wait_until(lambda: hall.get_attribute("#projector-canvas", "data-zoom") == "1.25",
                       message="the hall's zoom")  # fmt: skip
            assert console.get_attribute("#projector-canvas", "data-zoom") == "1"
            hall.focus("#projector-follow")
            hall.keyboard.press("Enter")
            wait_until(lambda: projector(hall, "p.shownPage") == 2, message="following again")

            # Cut off: the presenter turns two pages the hall does not hear; back online, it catches up.
            hall_live = "window.meetcoreHall.connection"
            joins = hall.evaluate(f"() => {hall_live}.counters.snapshots + {hall_live}.counters.replays")
            hall.context.set_offline(True)
            wait_until(lambda: not hall.evaluate(f"() => {hall_live}.connected"), message="the hall offline")
            for number in (3, 4):  # each turn once the last one is known (a turn is "the page after this")
                console.click("[data-key=projector-next]")
                wait_until(lambda number=number: projector(console, "p.presenterPage") == number,
                           message=f"the presenter's page {number}")  # fmt: skip
            assert projector(hall, "p.shownPage") == 2
            hall.context.set_offline(False)
            wait_until(lambda: projector(hall, "p.shownPage") == 4, timeout=60,
                       message="page 4 after the cut")  # fmt: skip

            # A fresh snapshot on the next reconnect, then the events after it.
            reconnect = f"() => {{ {hall_live}.wantSnapshot = true; {hall_live}.socket.io.engine.close(); }}"
            hall.evaluate(reconnect)
            wait_until(lambda: hall.evaluate(f"() => {hall_live}.counters.snapshots") >= 2, timeout=60,
                       message="a fresh snapshot")  # fmt: skip
            console.click("[data-key=projector-previous]")
            wait_until(lambda: projector(hall, "p.shownPage") == 3, message="page 3 after the snapshot")
            counters = hall.evaluate(f"() => {hall_live}.counters")
            assert counters["snapshots"] + counters["replays"] >= joins + 2, counters
            assert projector(hall, "p.fetches") == 1  # the document was fetched once, whatever the reconnects

            console.click("[data-key=projector-stop]")
            wait_until(lambda: hall.locator("#site-projector .projector-stage").is_hidden(), message="stop")
            assert not errors, errors
    finally:
        staff.close()
