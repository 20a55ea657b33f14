"""Every visible control of every page of the accessibility walk (tests/a11y/conftest.py) is reached with
the Tab key alone, and shows where the focus is (issue 15, item 7): a click handler on a <div>, a control
hidden in an overflowing bar, or an `outline: none` fails here."""

from __future__ import annotations

import pytest

from tests.a11y.conftest import LANGUAGES, PAGE_NAMES, VIEWPORTS, open_page

# Page structure, which neither the database nor the date changes: `make test` runs it in one pass (SQLite).
pytestmark = pytest.mark.single_pass

SELECTOR = ("a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex],"
            " [contenteditable=''], [contenteditable=true]")

CONTROLS = """() => {
  const selector = "SELECTOR";
  // checkVisibility: not display:none, not visibility:hidden, not in a closed <details> (content-visibility).
  const shown = el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && el.checkVisibility({visibilityProperty: true})
      && !el.closest('[inert], [aria-hidden=true]');
  };
  const found = [];
  document.querySelectorAll(selector).forEach((el, index) => {
    if (el.matches(':disabled') || el.getAttribute('tabindex') === '-1' || !shown(el)) return;
    el.dataset.a11yKey = String(index);
    found.push({key: String(index), group: el.type === 'radio' ? 'radio:' + el.name : null,
                html: el.outerHTML.slice(0, 160)});
  });
  return found;
}""".replace("SELECTOR", SELECTOR)

# What looks clickable (a pointer cursor) but no keyboard reaches: a click handler on a <div> or a <span>.
MOUSE_ONLY = """() => {
  const selector = "SELECTOR, label, option";
  const pointer = el => getComputedStyle(el).cursor === 'pointer';
  return [...document.querySelectorAll('body *')]
    .filter(el => pointer(el) && !el.closest(selector) && !(el.parentElement && pointer(el.parentElement))
                  && el.checkVisibility({visibilityProperty: true}))
    .map(el => el.outerHTML.slice(0, 160));
}""".replace("SELECTOR", SELECTOR)

# The next Tab starts at the top of the page, not after an autofocus field: focus a sentinel placed first.
FROM_THE_TOP = """() => {
  const sentinel = document.createElement('span');
  sentinel.tabIndex = -1;
  document.body.prepend(sentinel);
  sentinel.focus();
  sentinel.remove();
  window.scrollTo(0, 0);
}"""

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const ring = outline || style.boxShadow !== 'none';
  return {key: el.dataset.a11yKey || null, ring, html: el.outerHTML.slice(0, 160)};
}"""


def tab_walk(page, budget: int) -> list[dict]:
    """What the focus lands on, Tab after Tab, once round the page (or `budget` presses)."""
    landed: list[dict] = []
    for _ in range(budget):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            if landed:
                break  # out of the document: once round
            continue
        if landed and focused["key"] is not None and focused["key"] == landed[0]["key"]:
            break
        landed.append(focused)
    return landed


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_control_is_reached_by_tab_and_shows_its_focus(a11y_site, name, viewport, language):
    page = open_page(a11y_site, name, viewport, language)
    try:
        mouse_only = page.evaluate(MOUSE_ONLY)
        controls = page.evaluate(CONTROLS)
        assert controls, f"{name}: no control found: the walk would prove nothing"
        page.evaluate(FROM_THE_TOP)
        landed = tab_walk(page, budget=2 * len(controls) + 20)
    finally:
        page.close()
    where = f"{name} ({viewport}, {language})"
    assert mouse_only == [], f"{where}: a pointer, no control:\n" + "\n".join(mouse_only[:15])
    reached = {focus["key"] for focus in landed}
    groups = {control["group"] for control in controls if control["key"] in reached and control["group"]}
    missed = [control["html"] for control in controls  # a radio group is one Tab stop
              if control["key"] not in reached and control["group"] not in groups]
    assert missed == [], f"{where}: not reached by Tab:\n" + "\n".join(missed[:15])
    unseen = [focus["html"] for focus in landed if not focus["ring"]]
    assert unseen == [], f"{where}: focus not shown on:\n" + "\n".join(unseen[:15])
