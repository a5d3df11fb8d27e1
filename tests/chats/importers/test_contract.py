"""What every parser in ``chats.importers.PARSERS`` promises, checked for
each of them in one place (see ``chats.importers.base`` for the contract):

- importing it does not import Django;
- ``sniff`` takes the files of its own format, and only those: its test
  fixtures (``tests/fixtures/<folder>``) and the real third-party samples
  (``../shared/data/samples/<folder>``), and ``detect`` names the format;
- every sample file has its expectations in the table (``EXPECTED``) of the
  format's sample test module, ``test_<folder>_samples.py``.

What is special to one format is data here (``NOT_THE_FORMAT``); the
format's own behaviour is tested in its own modules. No database.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import chats.importers
from chats.importers import HEAD_SIZE, PARSERS, detect
from tests.chats.importers.helpers import FIXTURES_DIR
from tests.samples import SAMPLES_DIR, samples_dir

REPO_ROOT = Path(__file__).resolve().parents[3]

# Each format's folder of fixtures and of samples: "twitter-v1" -> "twitter_v1".
FOLDERS = {format_name: format_name.replace("-", "_") for format_name in PARSERS}
FORMAT_OF_FOLDER = {folder: format_name for format_name, folder in FOLDERS.items()}

# Files kept in a format's folder to show what its parser refuses: no parser
# may take them. Everything else in a folder is sniffed by the folder's
# parser, among them a personal archive's companions (account.js,
# profile.js, manifest.js) and its files that ``parse`` refuses (a copy
# rewritten by a code formatter): detection sends them to the archive
# parser, which reads the owner from them or says why it refuses them.
NOT_THE_FORMAT = {
    "twitter_v1": {"empty.jsonl", "not_a_tweet.json"},
}

# The package, its helper modules and every parser module.
MODULES = sorted(
    {chats.importers.__name__}
    | {f"{chats.importers.__name__}.{info.name}" for info in pkgutil.iter_modules(chats.importers.__path__)}
    | {module.__name__ for module in PARSERS.values()}
)


def expected_sniffers(path: Path) -> list[str]:
    """The formats whose parser should sniff the file: its folder's, or none."""
    folder = path.parent.name
    if folder not in FORMAT_OF_FOLDER or path.name in NOT_THE_FORMAT.get(folder, ()):
        return []
    return [FORMAT_OF_FOLDER[folder]]


def sniffers(path: Path) -> list[str]:
    """The formats whose parser sniffs the file, in detection order."""
    head = path.read_bytes()[:HEAD_SIZE]
    return [format_name for format_name, parser in PARSERS.items() if parser.sniff(head)]


# --- no Django -----------------------------------------------------------------


@pytest.mark.parametrize("module", MODULES)
def test_importing_does_not_import_django(module):
    code = (
        f"import sys, {module}; "
        "loaded = sorted(name for name in sys.modules if name.startswith('django')); "
        "assert not loaded, loaded"
    )
    environment = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=environment, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr or f"importing {module} imported django"


def test_every_parser_module_is_checked():
    assert {module.__name__ for module in PARSERS.values()} <= set(MODULES)


# --- detection of the fixtures ---------------------------------------------------


@pytest.mark.parametrize("format_name", list(PARSERS))
def test_every_parser_has_fixtures(format_name):
    folder = FIXTURES_DIR / FOLDERS[format_name]
    assert folder.is_dir() and any(path.is_file() for path in folder.iterdir()), folder


@pytest.mark.parametrize(
    "path",
    sorted(path for folder in FOLDERS.values() for path in (FIXTURES_DIR / folder).iterdir() if path.is_file()),
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_a_fixture_is_sniffed_by_its_own_parser_only(path):
    expected = expected_sniffers(path)
    assert sniffers(path) == expected
    assert detect(path.read_bytes()[:HEAD_SIZE]) == (expected[0] if expected else None)


# --- detection of the real samples -------------------------------------------------


@pytest.mark.parametrize("format_name", list(PARSERS))
def test_sniff_accepts_every_sample_of_its_format(format_name):
    folder = samples_dir(FOLDERS[format_name])
    parser = PARSERS[format_name]
    for path in sorted(path for path in folder.iterdir() if path.is_file()):
        head = path.read_bytes()[:HEAD_SIZE]
        if expected_sniffers(path):
            assert parser.sniff(head), path.name
            assert detect(head) == format_name, path.name
        else:
            assert not parser.sniff(head), path.name


@pytest.mark.parametrize("format_name", list(PARSERS))
def test_sniff_refuses_every_other_sample(format_name):
    own = samples_dir(FOLDERS[format_name])
    parser = PARSERS[format_name]
    others = [path for path in sorted(SAMPLES_DIR.glob("*/*")) if path.is_file() and path.parent != own]
    assert others, "the other formats' samples are missing"
    for path in others:
        assert not parser.sniff(path.read_bytes()[:HEAD_SIZE]), path.relative_to(SAMPLES_DIR)


# --- the sample tables ---------------------------------------------------------------


@pytest.mark.parametrize("format_name", list(PARSERS))
def test_every_sample_file_has_expectations(format_name):
    folder = samples_dir(FOLDERS[format_name])
    table = importlib.import_module(f"{__package__}.test_{FOLDERS[format_name]}_samples").EXPECTED
    assert {path.name for path in folder.iterdir() if path.is_file()} == set(table)
