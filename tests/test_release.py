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
# the seed's page opened with filters in its address: how many statements, meetings and documents it shows
PAGE_FILTERS = [
    ("", {"shown": 7, "shown-meetings": 7, "shown-documents": 6}),
    ("#q=information", {"shown": 3, "shown-meetings": 0, "shown-documents": 1}),
    ("#theme=terrorism", {"shown": 3, "shown-meetings": 7, "shown-documents": 6}),  # a theme narrows statements only
    ("#year=2009&kind=quotation", {"shown": 1, "shown-meetings": 2, "shown-documents": 1}),
    ("#council=heads_of_government", {"shown": 1, "shown-meetings": 1, "shown-documents": 0}),
]
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
        from pipeline.release import DUCKDB_MIN

        assert f"version {DUCKDB_MIN} or later" in card and "Spreadsheets" in card
        for section in ("## Period and sources covered", "## Known limits", "## How to cite", "## Using it"):
            assert section in card, section
        assert "| `statements` | 1.00 | 1.00 |" in card  # the measured quality, from docs/QUALITY.yaml
        assert "Built " not in card and "listed in CODEBOOK.md" not in card


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


def json_of(path):
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def _dump_dom(page, fragment: str, profile) -> str:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--dump-dom", page.as_uri() + fragment]
    return subprocess.run(args, capture_output=True, text=True, timeout=120).stdout


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed (.ci/run installs it)")
def test_data_page_renders_its_tables_and_filters_from_the_address(release, tmp_path):
    with zipfile.ZipFile(release) as z:
        z.extractall(tmp_path)
    page = tmp_path / f"sco-statements-{__version__}" / "index.html"
    everything = _dump_dom(page, "", tmp_path / "p1")
    assert '<svg id="timeline-chart"' in everything
    assert len(re.findall(r'<circle class="meeting"', everything)) == 7
    assert everything.count('href="texts/000_04de7d46aee2b092.txt"') == 7  # every statement links to its source
    for fragment, expected in PAGE_FILTERS:
        dom = _dump_dom(page, fragment, tmp_path / f"p{len(fragment)}")
        got = {c: int(n) for c, n in re.findall(r'<span id="(shown[a-z-]*)">(\d+)</span>', dom)}
        assert got == expected, fragment
        assert dom.count("<tr><td>quotation</td>") + dom.count("<tr><td>paraphrase</td>") == got["shown"]


def test_data_page_links_downloads_licence_citation_dictionary_and_describes_the_dataset(release):
    import json

    with zipfile.ZipFile(release) as z:
        prefix = f"sco-statements-{__version__}/"
        page = z.read(prefix + "index.html").decode()
        names = {n.removeprefix(prefix) for n in z.namelist()}
    for target in re.findall(r'<a href="([^"#:]+)"', page):
        if "$" not in target:
            assert target in names, target
    for needed in ("LICENSE-DATA", "CITATION.cff", "DATA_DICTIONARY.html", "csv/statements.csv", "parquet/meetings.parquet",
                   "sco_statements.sql"):
        assert f'href="{needed}"' in page, needed
    dataset = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert dataset["@type"] == "Dataset" and dataset["version"] == __version__
    assert dataset["temporalCoverage"] == "2001/2011"
    assert {d["contentUrl"] for d in dataset["distribution"]} <= names
    assert 'width="900"' not in page and 'viewBox="0 0 900' in page  # the chart scales to a phone's width
    assert "too large" not in page


def test_a_page_over_its_limit_lists_what_fits_and_says_how_to_query_the_rest(seed_build, monkeypatch):
    from pipeline import page as page_module
    from pipeline.release import _citation_meta

    package = json_of(seed_build / "datapackage.json")
    full = page_module.render_page(seed_build, "", _citation_meta(package))
    monkeypatch.setattr(page_module, "PAGE_LIMIT", len(full.encode()) - 1500)
    small = page_module.render_page(seed_build, "", _citation_meta(package))
    assert len(small.encode()) <= page_module.PAGE_LIMIT
    assert "too large to list every one of its 7 statements" in small
    assert "python -m pipeline query" in small


def test_the_repository_setting_reaches_the_citation_files(monkeypatch):
    import json

    import yaml

    from pipeline import release

    package = {"title": "T", "version": "1.0", "created": "2026-01-01T00:00:00Z", "licenses": [{"name": "CC-BY-4.0"}],
               "contributors": [{"title": "A"}], "keywords": ["x"]}
    assert "repository-code" not in yaml.safe_load(release._citation(package))  # unset: left out
    monkeypatch.setattr(release, "load_package", lambda: {"repository": "https://example.org/sco-statements"})
    assert yaml.safe_load(release._citation(package))["repository-code"] == "https://example.org/sco-statements"
    related = json.loads(release._zenodo(package))["related_identifiers"]
    assert related[0]["identifier"] == "https://example.org/sco-statements"


BUNDLE_FOLDERS = ("csv/", "parquet/", "texts/", "reference/", "docs/", "schemas/", "pipeline/", "tests/")
MADE_BY_THE_BUNDLE = {"sco_statements.duckdb"}  # what its own instructions create


def _mentioned_paths(text: str) -> set[str]:
    """Paths a bundle file points to: links, and code spans that name a bundle folder's file or a document."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    found = set(re.findall(r"\]\(([^)#:\s]+)\)", text)) | set(re.findall(r'href="([^"#:$]+)"', text))
    found |= set(re.findall(r"\b(?:docs|schemas|pipeline|tests)/[\w./*-]*\w", text))  # the repository's folders
    for span in re.findall(r"`([^`\s]+)`", text):
        if span.startswith(BUNDLE_FOLDERS) or re.fullmatch(r"[\w.-]+\.(md|html|cff|sql|yaml)", span):
            found.add(span.rstrip(".,;:"))
    return found


def test_every_path_a_bundle_file_mentions_is_in_the_bundle(release):
    prefix = f"sco-statements-{__version__}/"
    with zipfile.ZipFile(release) as z:
        names = {n.removeprefix(prefix) for n in z.namelist()}
        texts = {n: z.read(prefix + n).decode() for n in names if n.endswith((".md", ".html", ".cff", ".sql", ".json"))}
    basenames = {n.rsplit("/", 1)[-1] for n in names}
    for name, text in texts.items():
        for path in _mentioned_paths(text) - MADE_BY_THE_BUNDLE:
            pattern = re.sub(r"<[^>]+>|\*", "[^/]+", re.escape(path).replace(r"\<", "<").replace(r"\>", ">").replace(r"\*", "*"))
            hit = any(re.fullmatch(pattern.rstrip("/") + "(/.*)?", n) for n in names) or path in basenames
            assert hit, f"{name} mentions {path}, which the bundle does not hold"


def test_the_bundles_changelog_speaks_of_data_only(release):
    with zipfile.ZipFile(release) as z:
        changelog = z.read(f"sco-statements-{__version__}/CHANGELOG.md").decode()
    assert "## Unreleased" not in changelog and f"### Data in {__version__}" in changelog


def test_the_release_date_is_the_date_of_this_versions_changelog_entry():
    from pipeline.schemas import load_package

    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = re.search(rf"^## {re.escape(__version__)} \((\d{{4}}-\d{{2}}-\d{{2}})\)$", changelog, re.M)
    assert entry, f"CHANGELOG.md has no '## {__version__} (YYYY-MM-DD)' entry"
    assert str(load_package()["created"])[:10] == entry.group(1), "bump schemas/package.yaml `created` with the release"


def test_pages_users_read_carry_no_maintainers_notes(release):
    with zipfile.ZipFile(release) as z:
        for name in ("index.html", "DATA_DICTIONARY.html"):
            page = z.read(f"sco-statements-{__version__}/{name}").decode()
            assert "a test fails" not in page and "python -m pipeline docs" not in page, name


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed (.ci/run installs it)")
def test_the_benchmarks_page_check_runs(seed_build, tmp_path, monkeypatch):
    import bench.run

    monkeypatch.setattr(bench.run, "BENCH", tmp_path)
    measured = bench.run.measure_page(seed_build)  # `make bench` runs it on the 100 MB build
    assert 0 < measured["bytes"] < 10_000_000 and measured["chromium_dom_seconds"] > 0
    assert (tmp_path / "page-phone.png").stat().st_size > 0


def test_text_in_the_pages_data_cannot_end_or_bend_its_script():
    import json

    from pipeline.page import _json

    hostile = 'He said "</script><!--<script>alert(1)</script>"'
    encoded = _json({"text": hostile})
    assert "<" not in encoded and json.loads(encoded) == {"text": hostile}
