"""The meeting's tab bar shows every tab on a 1366 px laptop, and on a phone scrolls with a cue at the edge
(issue 15, item 6: "รายงานการประชุม" and "ข้อสั่งการ" were off-screen at 1366 px with no sign of them)."""

from __future__ import annotations

import pytest

from tests.live.browsers import chromium, prepare_reference, sign_in
from tests.live.servers import ServerProcess, scratch_database_url

BOXES = """() => [...document.querySelectorAll('nav.tabs a')].map(a => {
  const r = a.getBoundingClientRect(); return {text: a.textContent.trim(), left: r.left, right: r.right};
})"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("tabs")
    url = scratch_database_url(tmp_path, "tabs")
    data = prepare_reference(url)
    server = ServerProcess(url, tmp_path, name="tabs").start()
    try:
        with chromium() as browser:
            yield browser, server.base_url, data
    finally:
        server.stop()


def _meeting_page(site, width: int, height: int):
    browser, base, data = site
    page = browser.new_context(viewport={"width": width, "height": height}, locale="th-TH").new_page()
    sign_in(page, base, data.secretariat[0])
    page.goto(f"{base}/meetings/{data.meeting_id}")
    return page


def test_every_tab_is_on_screen_at_1366_px(site):
    page = _meeting_page(site, 1366, 768)
    tabs = page.evaluate(BOXES)
    assert len(tabs) >= 10 and {"รายงานการประชุม", "ข้อสั่งการ"} <= {t["text"] for t in tabs}
    offscreen = [t["text"] for t in tabs if t["left"] < 0 or t["right"] > 1366]
    assert offscreen == []
    assert page.eval_on_selector("nav.tabs", "n => n.scrollWidth <= n.clientWidth")


def test_on_a_phone_the_tabs_scroll_with_a_cue(site):
    page = _meeting_page(site, 390, 844)
    assert page.eval_on_selector("nav.tabs", "n => n.scrollWidth > n.clientWidth")  # more than fits
    background = page.eval_on_selector("nav.tabs", "n => getComputedStyle(n).backgroundImage")
    assert background.count("gradient") == 4  # the edge shadows that say there is more
    # The last tab is reached from the keyboard: focusing it scrolls it into view.
    page.focus("nav.tabs a:last-child")
    right = page.eval_on_selector("nav.tabs a:last-child", "a => a.getBoundingClientRect().right")
    assert right <= 390
