"""The release bundle as users download it, and the data page as a browser renders it."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import zipfile

import pytest

from pipeline import __version__
from tests.conftest import ROOT, run_cli

REQUIRED = ["datapackage.json", "csv/statements.csv", "parquet/statements.parquet", "sco_statements.sql",
            "README.md", "CODEBOOK.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA", "SHA256SUMS",
            "DATA_DICTIONARY.md", "DATA_DICTIONARY.html", "index.html", "texts/000_04de7d46aee2b092.txt"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def release(seed_build, tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    result = run_cli("release", "--out", str(seed_build), "--dist", str(dist))
    assert result.returncode == 0, result.stderr
    return dist / f"sco-statements-{__version__}.zip"


def test_bundle_holds_everything_a_user_needs(release):
    prefix = f"sco-statements-{__version__}/"
    with zipfile.ZipFile(release) as z:
        names = {n.removeprefix(prefix) for n in z.namelist()}
        for required in REQUIRED:
            assert required in names, required
        sums = z.read(prefix + "SHA256SUMS").decode().splitlines()
        for line in sums:
            digest, rel = line.split("  ", 1)
            assert hashlib.sha256(z.read(prefix + rel)).hexdigest() == digest, rel
        assert len(sums) == len(names) - 1
        import json

        import yaml

        citation = yaml.safe_load(z.read(prefix + "CITATION.cff").decode())
        assert citation["version"] == __version__ and citation["cff-version"] == "1.2.0"
        zenodo = json.loads(z.read(prefix + ".zenodo.json").decode())
        assert zenodo["version"] == __version__ and zenodo["title"] == citation["title"]
        card = z.read(prefix + "README.md").decode()
        assert "1.0 or later" in card and "Spreadsheets" in card


def test_the_bundles_script_makes_the_database(release, seed_build, tmp_path):
    import duckdb

    with zipfile.ZipFile(release) as z:
        z.extractall(tmp_path)
    folder = tmp_path / f"sco-statements-{__version__}"
    made = duckdb.connect(str(folder / "sco_statements.duckdb"))
    cwd = os.getcwd()
    try:
        os.chdir(folder)
        made.execute((folder / "sco_statements.sql").read_text(encoding="utf-8"))
    finally:
        os.chdir(cwd)
    made.close()
    built = duckdb.connect(str(seed_build / "sco_statements.duckdb"), read_only=True)
    try:
        built.execute(f"ATTACH '{folder / 'sco_statements.duckdb'}' AS made (READ_ONLY)")
        names = [r[0] for r in built.sql("SELECT table_name FROM duckdb_tables() WHERE database_name = 'sco_statements'").fetchall()]
        assert "statements" in names and "_meta" in names
        for name in names:
            differ = built.sql(f"SELECT count(*) FROM ((SELECT * FROM {name} EXCEPT ALL SELECT * FROM made.{name}) "
                               f"UNION ALL (SELECT * FROM made.{name} EXCEPT ALL SELECT * FROM {name}))").fetchall()[0][0]
            assert differ == 0, name
        views = built.sql("SELECT count(*) FROM duckdb_views() WHERE database_name = 'made' AND NOT internal").fetchall()[0][0]
        assert views == 3
    finally:
        built.close()


def test_a_title_with_quotes_and_colons_gives_valid_citation_yaml():
    import yaml

    from pipeline.release import _citation

    package = {"title": 'SCO "statements": a dataset', "version": "1.0", "created": "2026-01-01T00:00:00Z",
               "licenses": [{"name": "CC-BY-4.0"}], "contributors": [{"title": "A: B"}], "keywords": ["x"]}
    assert yaml.safe_load(_citation(package))["title"] == 'SCO "statements": a dataset'


def test_release_is_deterministic(release, seed_build, tmp_path):
    result = run_cli("release", "--out", str(seed_build), "--dist", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / release.name).read_bytes() == release.read_bytes()


def test_a_rebuild_gives_the_same_sha256sums_and_release(release, seed_build, tmp_path):
    out = tmp_path / "out"
    assert run_cli("build", "--raw", str(ROOT / "raw"), "--out", str(out), "-q", "--no-cache").returncode == 0
    assert (out / "SHA256SUMS").read_bytes() == (seed_build / "SHA256SUMS").read_bytes()  # the DuckDB file left out
    assert run_cli("release", "--out", str(out), "--dist", str(tmp_path / "dist")).returncode == 0
    assert (tmp_path / "dist" / release.name).read_bytes() == release.read_bytes()


def test_changelog_entry_uses_diff_against_the_previous_release(release, seed_build, tmp_path):
    shutil.copy(release, tmp_path / "sco-statements-0.0.1.zip")
    assert run_cli("release", "--out", str(seed_build), "--dist", str(tmp_path)).returncode == 0
    with zipfile.ZipFile(tmp_path / release.name) as z:
        changelog = z.read(f"sco-statements-{__version__}/CHANGELOG.md").decode()
    assert "compared with sco-statements-0.0.1" in changelog
    assert "| statements | 0 | 0 | 0 |" in changelog


def _dump_dom(page, fragment: str, profile) -> str:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--dump-dom", page.as_uri() + fragment]
    return subprocess.run(args, capture_output=True, text=True, timeout=120).stdout


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed (.ci/run installs it)")
def test_data_page_renders_its_chart_and_search_narrows_the_table(release, tmp_path):
    with zipfile.ZipFile(release) as z:
        z.extractall(tmp_path)
    page = tmp_path / f"sco-statements-{__version__}" / "index.html"
    everything = _dump_dom(page, "", tmp_path / "p1")
    assert '<svg id="timeline-chart"' in everything
    assert len(re.findall(r'<circle class="meeting"', everything)) == 7
    total = int(re.search(r'<span id="shown">(\d+)</span>', everything).group(1))
    assert total == 7
    narrowed = _dump_dom(page, "#q=information", tmp_path / "p2")
    shown = int(re.search(r'<span id="shown">(\d+)</span>', narrowed).group(1))
    assert 0 < shown < total
    assert len(re.findall(r"<tr hidden", narrowed)) == total - shown
