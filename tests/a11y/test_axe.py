"""axe-core (npm ``axe-core``, pinned in package-lock.json) on every page a secretariat, a chair, a provincial
participant, a provincial hall and an agency open (issue 15, item 7), on a phone and on a laptop: no violation
of serious or critical impact; the lesser ones are printed for the next round."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.a11y.conftest import LANGUAGES, PAGE_NAMES, VIEWPORTS, open_page

# Page structure, which neither the database nor the date changes: `make test` runs it in one pass (SQLite).
pytestmark = pytest.mark.single_pass

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\s+/g, ' ')).slice(0, 5),
  }));
}"""


def axe_violations(page) -> list[dict]:
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `npm ci` (package.json pins axe-core)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def describe(violations: list[dict]) -> str:
    return "\n".join(f"  [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
                     for v in violations)  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_no_serious_or_critical_violation(a11y_site, name, viewport, language):
    page = open_page(a11y_site, name, viewport, language)
    try:
        violations = axe_violations(page)
    finally:
        page.close()
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    lesser = [v for v in violations if v["impact"] not in BLOCKING]
    if lesser:
        print(f"\n{name} ({viewport}, {language}), minor and moderate:\n{describe(lesser)}")
    assert not blocking, f"{name} ({viewport}, {language}):\n{describe(blocking)}"
