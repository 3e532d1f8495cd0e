"""Compatibility we test, not assert: the oldest DuckDB and pyarrow the README promises open what we publish.

`make test` installs them into .venv-compat/ (tests/compat-requirements.lock); each check runs there,
in a subprocess, and is compared with what the project's own versions read.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile

import pyarrow.parquet as pq
import pytest

from pipeline import __version__
from pipeline.release import DUCKDB_MIN
from tests.conftest import ROOT, run_cli

COMPAT_PYTHON = ROOT / ".venv-compat" / "bin" / "python"
LOCK = ROOT / "tests" / "compat-requirements.lock"
pytestmark = pytest.mark.skipif(not COMPAT_PYTHON.exists() and not os.environ.get("CI"),
                                reason="`make test` installs the oldest promised versions into .venv-compat/")

COUNT_EVERYTHING = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
names = [r[0] for r in con.sql("SELECT table_name FROM duckdb_tables() UNION ALL "
                                 "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
print(json.dumps({"version": duckdb.__version__, **{n: con.sql(f"SELECT count(*) FROM {n}").fetchall()[0][0] for n in names}}))
"""


def _in_compat(script: str, *args: str, cwd=ROOT, python=COMPAT_PYTHON) -> dict:
    done = subprocess.run([str(python), "-c", script, *args], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_promised_minimum_is_the_one_installed_and_the_one_the_readme_names():
    pinned = dict(line.split("==") for line in LOCK.read_text(encoding="utf-8").splitlines() if "==" in line)
    assert pinned["duckdb"] == DUCKDB_MIN
    assert f"DuckDB {DUCKDB_MIN}" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"pyarrow {pinned['pyarrow'].split('.')[0]}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_oldest_promised_duckdb_opens_the_database_and_its_views(seed_build):
    got = _in_compat(COUNT_EVERYTHING, str(seed_build / "sco_statements.duckdb"))
    ours = _in_compat(COUNT_EVERYTHING, str(seed_build / "sco_statements.duckdb"), python=sys.executable)
    assert got.pop("version") == DUCKDB_MIN and ours.pop("version") != DUCKDB_MIN
    assert got == ours
    assert {"statements_in_context", "meeting_timeline", "statements_per_theme_year", "_meta"} <= set(got)


def test_the_oldest_promised_duckdb_runs_the_bundles_script(seed_build, tmp_path):
    assert run_cli("release", "--out", str(seed_build), "--dist", str(tmp_path)).returncode == 0
    with zipfile.ZipFile(tmp_path / f"sco-statements-{__version__}.zip") as z:
        z.extractall(tmp_path)
    folder = tmp_path / f"sco-statements-{__version__}"
    made = _in_compat("import duckdb; con = duckdb.connect('made.duckdb'); "
                      "con.execute(open('sco_statements.sql', encoding='utf-8').read()); con.close(); print('{}')", cwd=folder)
    assert made == {}
    assert _in_compat(COUNT_EVERYTHING, str(folder / "made.duckdb"))["statements"] == 7


def test_the_oldest_promised_pyarrow_reads_every_parquet_file_with_its_types(seed_build):
    script = ("import json, sys, pathlib, pyarrow.parquet as pq; print(json.dumps({p.stem: [str(f.type) for f in "
              "pq.read_table(p).schema] for p in sorted(pathlib.Path(sys.argv[1]).glob('*.parquet'))}))")
    got = _in_compat(script, str(seed_build / "parquet"))
    ours = {p.stem: [str(f.type) for f in pq.read_table(p).schema] for p in sorted((seed_build / "parquet").glob("*.parquet"))}
    assert got == ours
    assert any(re.fullmatch(r"date32\[day\]", t) for t in got["meetings"])
