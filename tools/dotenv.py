"""Read a `.env` file of KEY=VALUE lines (the format of .env.example).

Values already in the environment win, so a variable set on the command line
overrides the file.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import MutableMapping

ROOT = Path(__file__).resolve().parent.parent


def read_dotenv(path: Path) -> dict[str, str]:
    values = {}
    if not path.is_file():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_dotenv(environ: MutableMapping[str, str] = os.environ, path: Path = ROOT / ".env") -> None:
    for key, value in read_dotenv(path).items():
        environ.setdefault(key, value)
