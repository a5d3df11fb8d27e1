"""Where the shared real-world sample files live, for importer tests.

They sit outside the repository, in ``shared/data/samples/`` beside the
checkout (see its SOURCES.md for provenance, record counts and traps).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "samples"


def samples_dir(kind: str) -> Path:
    """The folder of sample files of one kind (``twitter_v1``, ``csv``, ...).

    Skips the test when the folder is not there, except on CI, where a
    missing folder means the sample tests would silently not run: fail then.
    """
    folder = SAMPLES_DIR / kind
    if not folder.is_dir():
        reason = f"../shared/data/samples/{kind} is not beside this checkout; the sample-file tests need it"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (looked in {folder})", pytrace=False)
        pytest.skip(reason)
    return folder
