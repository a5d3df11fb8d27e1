"""Headless Chromium (Debian's package) driven by Playwright; never a
downloaded browser. `make test` installs the package where it can."""
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("HCSMCA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Flags that keep Chromium off the network it cannot reach here, and let it run as root.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def page():
    """A fresh browser for each test. Request it after the fixtures that write
    to the database: while it runs, Django refuses synchronous queries.

    Not session-scoped on purpose: while Playwright's sync API runs, Django's
    context-local `connections` hand out other connection objects, which
    would leak into every test that runs meanwhile (and lose the serialized
    test data that transactional tests restore).
    """
    # The harness injects axe-core (add_script_tag) and polls with
    # wait_for_function, both of which the site's Content-Security-Policy
    # refuses; tests/browser/test_xss.py checks the pages under the policy.
    with _chromium_page(bypass_csp=True) as page:
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        yield page


@contextmanager
def _chromium_page(**context_options):
    """A page in a fresh headless Chromium (Debian's), with the page's
    JavaScript errors collected in ``page.errors``; skips (fails under CI)
    when Chromium is missing."""
    require_tool(
        Path(CHROMIUM).is_file(),
        f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium; `make test` does it as root)",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(**context_options).new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        try:
            yield page
        finally:
            browser.close()


def admin_login(page, live_server, next_path: str, username: str = "mod") -> None:
    """Log in through the admin's form (the `moderator` fixture's account),
    landing on ``next_path``."""
    from tests.conftest import MODERATOR_PASSWORD

    page.goto(f"{live_server.url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", MODERATOR_PASSWORD)
    page.click("input[type=submit]")


# --- Page quality tests (accessibility, markup, navigation) -----------------

REPO_ROOT = Path(__file__).resolve().parents[2]
# Kept after the run for people to look at (gitignored).
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def require_tool(available: bool, reason: str) -> None:
    """Skip a test whose tool is missing, but fail under CI, where a missing
    tool would otherwise pass the run without checking anything."""
    if not available:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def archive_site():
    """Two archived chats, a hidden one, a summary (tests/browser/site_data.py)."""
    from tests.browser.site_data import build_archive_site

    return build_archive_site()


@pytest.fixture
def tokyo_page():
    """Like `page`, but the browser believes it is in Tokyo (Playwright's
    timezone_id): for what the reader's own timezone changes. Request it
    after the fixtures that write to the database."""
    with _chromium_page(timezone_id="Asia/Tokyo") as page:
        yield page
