"""The one environment reader every settings module uses (consoleproj/settings.py, consoleproj/settings_parts/).

A developer's `.env` is read once, here, before any setting is read.
"""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's `.env` is read when present; real deployments pass the environment.
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
