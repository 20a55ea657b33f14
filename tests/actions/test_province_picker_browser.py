"""The action form of the live console gives an action to provinces chosen by name (issue 15, 4c): a
list grouped by region with a box for each whole region, a name filter, and "all provinces"; every box is
a native control worked here from the keyboard alone; a province without the role's office cannot be
ticked; the server receives codes and makes one assignment per province chosen."""

from __future__ import annotations

import pytest

from tests.live.browsers import chromium, live_value, prepare_reference, sign_in, wait_until
from tests.live.servers import ServerProcess, scratch_database_url

SOUTH = 14  # provinces of the south (ภาคใต้)


@pytest.fixture()
def console(tmp_path):
    url = scratch_database_url(tmp_path, "province_picker")
    data = prepare_reference(url)
    server = ServerProcess(url, tmp_path, name="picker").start()
    try:
        with chromium() as browser:
            context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="th-TH")
            page = context.new_page()
            page.set_default_timeout(20_000)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            sign_in(page, server.base_url, data.secretariat[0])
            page.goto(f"{server.base_url}/meetings/{data.meeting_id}/live")
            wait_until(lambda: live_value(page, "live.state !== null && live.connected"), message="the join")
            page.click("[data-key=start]")
            wait_until(lambda: live_value(page, "live.state.meeting.status") == "live", message="the start")
            page.click(f"[data-key=item-{data.items[4]}-current]")
            wait_until(lambda: page.locator(".action-form").count() == 1, message="the action form")
            yield page
            assert errors == []
    finally:
        server.stop()


def _assigned(page) -> list[list[str]]:
    """The provinces of each action, from a fresh snapshot (a reload): what the server stored."""
    page.reload()
    wait_until(lambda: live_value(page, "live.state !== null && live.connected"), message="the rejoin")
    codes = "live.state.actions.items.map(a => a.assignments.map(x => x.province_code).sort())"
    return live_value(page, codes)


def _key(page, selector: str, key: str = "Space") -> None:
    page.focus(selector)
    page.keyboard.press(key)


def test_provinces_chosen_by_name_region_and_filter_from_the_keyboard(console):
    page = console
    form = page.locator(".action-form")
    form.locator("input[data-key$='-title']").fill("จัดทำแผนที่ทางสังคม")
    assert form.locator("input[data-province]").count() == 0  # "all provinces" is the default
    _key(page, "input[data-key$='-province-some']")
    wait_until(lambda: form.locator("input[data-province]").count() == 77, message="the province list")
    # Bangkok has no พมจ.: shown, not tickable.
    assert form.locator("input[data-province='TH-10']").is_disabled()
    # Sending with nothing ticked is refused on the page, before anything reaches the server.
    _key(page, ".action-form button[data-key$='-send']", "Enter")
    wait_until(lambda: form.locator(".live-error").count() == 1, message="the refusal")
    assert "อย่างน้อยหนึ่งจังหวัด" in form.locator(".live-error").inner_text()
    assert live_value(page, "live.state.actions.items.length") == 0
    # The whole south by its region box, then one province found by typing part of its Thai name.
    _key(page, "input[data-region='south']")
    wait_until(lambda: form.locator("input[data-province]:checked").count() == SOUTH, message="the south")
    page.focus("input[data-key$='-province-filter']")
    page.keyboard.type("เชียงใ")
    wait_until(lambda: form.locator("input[data-province]").count() == 1, message="the filter")
    _key(page, "input[data-province='TH-50']")
    wait_until(lambda: "15" in form.locator(".province-summary").inner_text(), message="the summary")
    assert "เชียงใหม่" in form.locator(".province-summary").inner_text()
    # Untick one southern province again: its region box is then partly ticked.
    page.fill("input[data-key$='-province-filter']", "")
    page.locator("input[data-key$='-province-filter']").dispatch_event("input")
    wait_until(lambda: form.locator("input[data-province]").count() == 77, message="the whole list again")
    _key(page, "input[data-province='TH-90']")  # สงขลา
    wait_until(lambda: page.eval_on_selector("input[data-region='south']", "e => e.indeterminate"),
               message="the south partly ticked")
    _key(page, ".action-form button[data-key$='-send']", "Enter")
    wait_until(lambda: live_value(page, "live.state.actions.items.length") == 1, message="the action")
    # The form is empty again and back on "all provinces".
    wait_until(lambda: form.locator("input[data-province]").count() == 0, message="the form reset")
    [codes] = _assigned(page)
    assert len(codes) == SOUTH and "TH-50" in codes and "TH-90" not in codes
    assert all(code in codes for code in ("TH-80", "TH-83", "TH-96"))  # นครศรีธรรมราช, ภูเก็ต, นราธิวาส


def test_all_provinces_gives_every_office_of_the_role(console):
    page = console
    form = page.locator(".action-form")
    form.locator("input[data-key$='-title']").fill("รายงานผลการดำเนินงาน")
    page.click(".action-form button[data-key$='-send']")
    wait_until(lambda: live_value(page, "live.state.actions.items.length") == 1, message="the action")
    [codes] = _assigned(page)
    assert len(codes) == 76 and "TH-10" not in codes
