"""Every environment variable the code reads is documented in README.md and
.env.example, so a newcomer can configure what exists."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ_PATTERNS = [
    re.compile(r"""environ(?:\.get|\.setdefault)?\(\s*["']([A-Z][A-Z0-9_]+)["']"""),
    re.compile(r"""environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]"""),
    re.compile(r"""env_(?:bool|list)\(\s*["']([A-Z][A-Z0-9_]+)["']"""),
]
# Set by tools for child processes or by Python itself, not configuration.
NOT_CONFIGURATION = {"DJANGO_SETTINGS_MODULE", "PYTHONUNBUFFERED", "CI"}


def variables_read_by_the_code() -> set[str]:
    names = set()
    for folder in ("hcsmca", "chats", "summaries", "tools"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            for pattern in READ_PATTERNS:
                names.update(pattern.findall(text))
    names.update(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    return names - NOT_CONFIGURATION


def test_the_scan_finds_the_variables_we_know_of():
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "HCSMCA_MODERATOR_PASSWORD"} <= variables_read_by_the_code()


def test_every_variable_is_in_the_readme_and_env_example():
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    missing_readme = sorted(name for name in variables_read_by_the_code() if f"`{name}`" not in readme)
    missing_example = sorted(name for name in variables_read_by_the_code() if f"{name}=" not in example)
    assert not missing_readme, f"README.md does not document {missing_readme}"
    assert not missing_example, f".env.example does not list {missing_example}"


def test_readme_names_the_two_commands_and_ci_calls_the_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\s*$", ci, re.M)
