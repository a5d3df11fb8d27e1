"""Every reader page in Chromium at a phone and a desktop width: no axe-core
violation of WCAG 2.1 A/AA or axe's best practices, no sideways scrolling,
and a full-page screenshot kept in test-artifacts/screenshots/ for people to
look at (`<page>-<width>.png`)."""
import pytest

from tests.browser.conftest import AXE_SCRIPT, SCREENSHOTS, require_tool
from tests.browser.site_data import HIDDEN_TAG, HIDDEN_TITLE, PAGES

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]

WIDTHS = (360, 1440)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"][:8]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}: {summary[:300]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.fixture
def axe_script():
    require_tool(AXE_SCRIPT.is_file(),
                 f"axe-core is not installed at {AXE_SCRIPT} (`make test` runs npm ci; or run `npm ci` yourself)")
    return AXE_SCRIPT


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_accessibility_violations(live_server, archive_site, axe_script, page, name):
    url = live_server.url + PAGES[name](archive_site)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    failures = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        response = page.goto(url)
        assert response.status == 200, f"{url} answered {response.status}"
        html = page.content()
        assert HIDDEN_TITLE not in html and HIDDEN_TAG not in html, f"{name} shows the hidden chat"
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            failures.append(f"{name} at {width}px scrolls sideways by {overflow}px")
        page.add_script_tag(path=str(axe_script))
        violations = page.evaluate(RUN_AXE, AXE_TAGS)
        if violations:
            failures.append(f"{name} at {width}px ({url}): {len(violations)} axe violation(s)\n{describe(violations)}")
    assert page.errors == []
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
