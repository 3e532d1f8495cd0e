"""The snippets users copy: every fenced block of the README (from the repository's folder) and of the
release's data card (from the unzipped bundle) runs, in the language its info string names.

An info string is "LANGUAGE TOOL" (```python polars): Python blocks run in the project's environment,
except polars, which runs in .venv-compat/ (made by `make test`); R blocks run where Rscript and its
duckdb package are installed (CRAN is not reachable from this project's machines).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from pipeline import __version__
from tests.conftest import ROOT, run_cli

COMPAT_PYTHON = ROOT / ".venv-compat" / "bin" / "python"
RSCRIPT = shutil.which("Rscript")


def snippets(text: str) -> list[tuple[str, str, str]]:
    """(language, tool, code) of each fenced block with a two-word info string."""
    return re.findall(r"^```(python|r) (\w+)\n(.*?)^```", text, re.S | re.M)


README = snippets((ROOT / "README.md").read_text(encoding="utf-8"))
CARD = snippets((ROOT / "docs" / "DATA_CARD.template.md").read_text(encoding="utf-8"))


def _run(language: str, tool: str, code: str, cwd) -> str:
    if language == "r":
        if RSCRIPT is None or subprocess.run([RSCRIPT, "-e", "library(duckdb)"], capture_output=True).returncode:
            pytest.skip("R with its duckdb package is not installed")
        command = [RSCRIPT, "-e", code]
    elif tool == "polars":
        if not COMPAT_PYTHON.exists() and not os.environ.get("CI"):
            pytest.skip("`make test` installs polars into .venv-compat/")
        command = [str(COMPAT_PYTHON), "-c", code]
    else:
        command = [sys.executable, "-c", code]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_readme_and_data_card_show_every_tool():
    for blocks in (README, CARD):
        assert {(lang, tool) for lang, tool, _ in blocks} == {("python", "duckdb"), ("python", "pandas"),
                                                            ("python", "polars"), ("r", "duckdb")}


@pytest.fixture(scope="module")
def bundle(seed_build, tmp_path_factory):
    dist = tmp_path_factory.mktemp("bundle")
    assert run_cli("release", "--out", str(seed_build), "--dist", str(dist)).returncode == 0
    with zipfile.ZipFile(dist / f"sco-statements-{__version__}.zip") as z:
        z.extractall(dist)
    return dist / f"sco-statements-{__version__}"


@pytest.mark.parametrize("language, tool, code", README, ids=[f"{lang}-{tool}" for lang, tool, _ in README])
def test_readme_snippet_runs(language, tool, code, seed_build, tmp_path):
    (tmp_path / "build").symlink_to(seed_build)
    assert "2009" in _run(language, tool, code, tmp_path)


@pytest.mark.parametrize("language, tool, code", CARD, ids=[f"{lang}-{tool}" for lang, tool, _ in CARD])
def test_data_card_snippet_runs_in_the_bundle(language, tool, code, bundle, tmp_path):
    folder = tmp_path / "bundle"
    shutil.copytree(bundle, folder)  # the DuckDB snippet makes its database in the folder
    assert "2009" in _run(language, tool, code, folder)
