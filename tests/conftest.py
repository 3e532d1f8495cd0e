"""Shared fixtures: one build of the repository's raw/ folder, reused read-only by many tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run `python -m pipeline ...` as a user would; never raises on a non-zero exit."""
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory) -> Path:
    """The default raw/ folder built once into a temporary output folder."""
    out = tmp_path_factory.mktemp("seed") / "out"
    result = run_cli("build", "--raw", str(ROOT / "raw"), "--out", str(out), "-q")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def build_copy(seed_build, tmp_path) -> Path:
    """A private copy of the seed build that a test may tamper with."""
    dest = tmp_path / "out"
    shutil.copytree(seed_build, dest)
    return dest
