"""The built folder as users meet it: layout, frictionless, DuckDB SQL, determinism, provenance."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys

import duckdb
import pytest

from pipeline.paths import DUCKDB_NAME
from pipeline.schemas import load_tables
from tests.conftest import ROOT, run_cli

TABLES = list(load_tables())


def read_csv(out, table):
    with open(out / "csv" / f"{table}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_layout(seed_build):
    assert (seed_build / "datapackage.json").is_file()
    assert (seed_build / DUCKDB_NAME).is_file()
    assert (seed_build / "SHA256SUMS").is_file()
    for table in TABLES:
        assert (seed_build / "csv" / f"{table}.csv").is_file()
        assert (seed_build / "parquet" / f"{table}.parquet").is_file()
    package = json.loads((seed_build / "datapackage.json").read_text(encoding="utf-8"))
    for res in package["resources"]:
        assert not res["path"].startswith("/"), "paths must be relative"
        if res["format"] == "csv":
            assert res["hash"].startswith("sha256:")


def frictionless(descriptor, cwd):
    return subprocess.run([str(ROOT / ".venv" / "bin" / "frictionless") if (ROOT / ".venv").exists() else "frictionless",
                           "validate", "--type", "package", str(descriptor)], cwd=cwd, capture_output=True, text=True)


def test_frictionless_cli_passes_on_the_build(seed_build):
    result = frictionless(seed_build / "datapackage.json", seed_build)
    assert result.returncode == 0, result.stdout[-2000:]


def test_frictionless_cli_passes_on_the_root_datapackage(seed_build, tmp_path):
    shutil.copytree(seed_build, tmp_path / "build")
    shutil.copy(ROOT / "datapackage.json", tmp_path / "datapackage.json")
    result = frictionless(tmp_path / "datapackage.json", tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]


def readme_sql():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", readme, re.S)


@pytest.mark.parametrize("sql", readme_sql(), ids=lambda q: q.split("\n")[0][:40])
def test_readme_sql_examples_run(seed_build, sql):
    con = duckdb.connect(str(seed_build / DUCKDB_NAME), read_only=True)
    rows = con.sql(sql).fetchall()
    con.close()
    assert rows, "each README example returns rows on the seed build"


def test_duckdb_has_every_table_with_keys(seed_build):
    con = duckdb.connect(str(seed_build / DUCKDB_NAME), read_only=True)
    constraints = con.sql("SELECT table_name, constraint_type FROM duckdb_constraints()").fetchall()
    con.close()
    kinds = {}
    for table, kind in constraints:
        kinds.setdefault(table, set()).add(kind)
    for name, table in load_tables().items():
        assert "PRIMARY KEY" in kinds[name]
        if table.foreign_keys:
            assert "FOREIGN KEY" in kinds[name]


def test_rebuild_is_byte_identical(seed_build, tmp_path):
    result = run_cli("build", "--raw", str(ROOT / "raw"), "--out", str(tmp_path / "again"), "-q")
    assert result.returncode == 0, result.stderr
    for path in sorted(seed_build.rglob("*")):
        rel = path.relative_to(seed_build)
        if path.is_file() and rel.name not in (DUCKDB_NAME, "SHA256SUMS"):
            assert path.read_bytes() == (tmp_path / "again" / rel).read_bytes(), rel


def test_every_extracted_value_has_evidence_and_spans_reproduce(seed_build):
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (seed_build / "texts").glob("*.txt")}
    evidence = read_csv(seed_build, "evidence")
    covered = {(e["table_name"], e["record_id"], e["field"]) for e in evidence}
    for e in evidence:
        span = texts[e["source_id"]][int(e["char_start"]):int(e["char_end"])]
        assert " ".join(span.split()) == e["span_text"]
    derived = {"meetings": {"meeting_id", "label", "date_precision"}, "documents": {"document_id"},
               "statements": {"statement_id", "text", "source_id", "char_start", "char_end"}}  # the row's own span
    for table, key in (("meetings", "meeting_id"), ("documents", "document_id"), ("statements", "statement_id")):
        for row in read_csv(seed_build, table):
            for column, value in row.items():
                if value != "" and column not in derived[table]:
                    assert (table, row[key], column) in covered, (table, row[key], column)


def test_values_filled_from_the_chronology_are_never_stated(seed_build):
    for e in read_csv(seed_build, "evidence"):
        if e["rule_id"].startswith("chronology") or e["rule_id"].startswith("doc_") and "chronology" in e["rule_id"]:
            assert e["basis"] != "stated", e


def test_validate_command_passes_on_a_good_build(seed_build):
    result = run_cli("validate", "--out", str(seed_build))
    assert result.returncode == 0, result.stderr


def test_help_has_examples():
    for args in ([], ["build"], ["validate"], ["datapackage"], ["docs"], ["diff"], ["release"]):
        result = run_cli(*args, "--help")
        assert result.returncode == 0
        assert "Example:" in result.stdout, args


def test_coverage_lists_every_sentence_once(seed_build):
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (seed_build / "texts").glob("*.txt")}
    rows = read_csv(seed_build, "coverage")
    for sid, text in texts.items():
        spans = sorted((int(r["char_start"]), int(r["char_end"])) for r in rows if r["source_id"] == sid)
        covered = [False] * len(text)
        for a, b in spans:
            assert not any(covered[a:b]), "sentences overlap"
            covered[a:b] = [True] * (b - a)
        uncovered = "".join(c for c, hit in zip(text, covered) if not hit)
        assert uncovered.strip() == "", f"text outside every sentence: {uncovered.strip()[:80]!r}"
    for r in rows:
        assert (r["is_used"] == "true") == bool(r["used_by"])


def test_statement_links_rest_on_their_lead_in(seed_build):
    evidence = read_csv(seed_build, "evidence")
    lead_ins = [e for e in evidence if e["rule_id"] == "quote_document_in_lead_in"]
    assert lead_ins and all(e["span_text"].rstrip().endswith(":") for e in lead_ins)


def test_created_date_comes_from_source_date_epoch(tmp_path):
    import os

    env_run = subprocess.run([sys.executable, "-m", "pipeline", "build", "--raw", str(ROOT / "raw"), "--out",
                              str(tmp_path / "out"), "-q"], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"})
    assert env_run.returncode == 0, env_run.stderr
    package = json.loads((tmp_path / "out" / "datapackage.json").read_text(encoding="utf-8"))
    assert package["created"] == "2023-11-14T22:13:20Z"


def test_duckdb_is_self_describing(seed_build):
    from pipeline.schemas import load_views

    con = duckdb.connect(str(seed_build / DUCKDB_NAME), read_only=True)
    try:
        comments = dict(con.sql("SELECT table_name, comment FROM duckdb_tables()").fetchall())
        columns = {(t, c): comment for t, c, comment in
                   con.sql("SELECT table_name, column_name, comment FROM duckdb_columns()").fetchall()}
        for name, table in load_tables().items():
            assert comments[name] == table.description
            for f in table.fields:
                assert columns[(name, f.name)] == " ".join(f.description.split())
        for name, description, _sql in load_views():
            assert con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0] > 0, name
        meta = dict(con.sql("SELECT key, value FROM _meta").fetchall())
        assert meta["version"] and meta["rows:statements"] == "7"
        assert meta["source_sha256:000_04de7d46aee2b092"].startswith("50e15302")
        tags = dict(con.sql("SELECT database_name, tags FROM duckdb_databases()").fetchall())
        # storage v1.0.0: DuckDB 1.0 and later open the file (the data card states this minimum)
        assert tags["sco_statements"]["storage_version"].startswith("v1.0.0")
    finally:
        con.close()


def test_duckdb_reads_the_parquet_files_directly(seed_build):
    con = duckdb.connect()
    n = con.sql(f"SELECT count(*) FROM read_parquet('{seed_build / 'parquet' / 'statements.parquet'}')").fetchall()[0][0]
    described = con.sql(f"SELECT file_name, key, value FROM parquet_kv_metadata('{seed_build / 'parquet' / 'meetings.parquet'}')").fetchall()
    con.close()
    assert n == 7
    assert any(key == b"ARROW:schema" for _, key, _ in described)


def test_pandas_reads_the_csv_with_the_declared_types(seed_build):
    import pandas as pd

    from pipeline.schemas import PANDAS_DTYPES

    for name, table in load_tables().items():
        dtypes = {f.name: PANDAS_DTYPES[f.type] for f in table.fields if f.type != "boolean"}
        frame = pd.read_csv(seed_build / "csv" / f"{name}.csv", dtype=dtypes, keep_default_na=False, na_values=[""])
        assert list(frame.columns) == table.columns
        for f in table.fields:
            if f.type == "boolean":
                assert set(frame[f.name].dropna().astype(str)) <= {"True", "False", "true", "false"}


def test_diff_counts_added_removed_and_changed_rows(build_copy, seed_build):
    with open(build_copy / "csv" / "meetings.csv", encoding="utf-8") as f:
        lines = f.read().splitlines()
    lines[1] = lines[1].replace('"day"', '"month"')    # one row changed
    lines.append(lines[2].replace("heads_of_state-", "heads_of_state-x", 1))  # one row added
    del lines[3]                                          # one row removed
    (build_copy / "csv" / "meetings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("diff", str(seed_build), str(build_copy))
    assert result.returncode == 0, result.stderr
    assert "| meetings | 1 | 1 | 1 |" in result.stdout
    assert "| statements | 0 | 0 | 0 |" in result.stdout


def test_help_imports_nothing_heavy():
    code = ("import sys\nfrom pipeline.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'pyarrow', 'duckdb', 'frictionless', 'pandera') if m in sys.modules]\n"
            "print('heavy=' + ','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "heavy=", result.stdout


def test_row_parts_on_disk_read_back_as_in_memory(tmp_path):
    """The sources' own rows travel between stages as Arrow IPC parts: what is read back is what was put."""
    from pipeline.extract import extract
    from pipeline.ingest import ingest
    from pipeline.reference import load_reference
    from pipeline.source_rows import RowParts, combine_rows, source_rows

    ref = load_reference()
    rows = [source_rows(extract(s, ref), ref).tables for s in ingest(ROOT / "raw").sources]

    memory, disk = RowParts(), RowParts(tmp_path / "parts")
    for part in (combine_rows(rows), combine_rows(rows)):
        memory.add(dict(part))
        disk.add(dict(part))
    for name in ("statements", "statement_themes", "evidence", "coverage", "links"):
        assert disk.collect(name).equals(memory.collect(name)), name
    assert RowParts(tmp_path / "none").collect("evidence").num_rows == 0


@pytest.mark.parametrize("n", [1, 2, 5, 40, 2055])
def test_extraction_runs_cover_every_source_once_and_shrink_towards_the_end(n):
    from pipeline.extraction import _chunks

    runs = _chunks(list(range(n)), 2)
    assert [i for run in runs for i in run] == list(range(n))
    assert all(1 <= len(run) <= 64 for run in runs)
    assert [len(run) for run in runs] == sorted((len(run) for run in runs), reverse=True)
    assert n < 2 or len(runs) >= 2  # both workers get work


def test_version_is_the_packages():
    from pipeline import __version__

    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"python -m pipeline {__version__}"


def test_meta_columns_are_commented(seed_build):
    import duckdb

    con = duckdb.connect(str(seed_build / "sco_statements.duckdb"), read_only=True)
    try:
        comments = con.sql("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = '_meta'").fetchall()
    finally:
        con.close()
    assert len(comments) == 2 and all(comment for _, comment in comments)


def test_query_prints_rows_as_csv_and_json(seed_build):
    import json

    sql = "SELECT kind, count(*) AS n FROM statements GROUP BY kind ORDER BY kind"
    as_csv = run_cli("query", sql, "--out", str(seed_build), "--format", "csv")
    assert as_csv.returncode == 0 and as_csv.stdout.splitlines()[0] == "kind,n"
    as_json = run_cli("query", sql, "--out", str(seed_build), "--format", "json")
    rows = json.loads(as_json.stdout)
    assert as_json.returncode == 0 and {r["kind"] for r in rows} <= {"quotation", "paraphrase"}
    bad = run_cli("query", "SELECT * FROM no_such_table", "--out", str(seed_build))
    assert bad.returncode == 1 and bad.stderr.startswith("error: query failed")


def test_load_gives_the_schemas_types(seed_build):
    from pipeline.load import load

    tables = load(seed_build, ["meetings", "statements"])
    meetings = tables["meetings"]
    assert str(meetings["start_date"].dtype) == "date32[day][pyarrow]"
    assert str(meetings["ordinal"].dtype).startswith("int") and str(meetings["year"].dtype).startswith("int")
    assert str(tables["statements"]["char_start"].dtype).startswith("int")


class _Recorder:
    """A progress that draws bars: keeps each bar's last count and the stage lines."""

    def __init__(self):
        self.bars, self.lines = {}, []

    def __call__(self, stage, message):
        self.lines.append(stage)

    def bar(self, label, done, total):
        self.bars[label] = (done, total)


def test_publishing_moves_its_bars_to_the_end(tmp_path):
    from pipeline.build import build

    progress = _Recorder()
    build(ROOT / "raw", tmp_path / "out", progress=progress, workers=1, use_cache=False)
    assert set(progress.bars) == {"publish: CSV and Parquet tables", "publish: DuckDB tables", "publish: frictionless checks"}
    assert all(done == total > 0 for done, total in progress.bars.values())


def _read_or_nothing(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal's other end is closed: everything is read
        return b""


def test_a_terminal_sees_progress_bars_and_a_pipe_only_lines(tmp_path):
    import pty

    main, follower = pty.openpty()
    build = subprocess.Popen([sys.executable, "-m", "pipeline", "build", "--raw", str(ROOT / "raw"), "--out",
                              str(tmp_path / "out")], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while chunk := _read_or_nothing(main):  # read while it runs, so that a full terminal never blocks it
        seen += chunk
    os.close(main)
    assert build.wait(timeout=120) == 0
    text = seen.decode("utf-8", "replace")
    assert "extract: sources" in text and "publish: DuckDB tables" in text and " publish: CSV, Parquet" in text
    assert "━" not in run_cli("build", "--raw", str(ROOT / "raw"), "--out", str(tmp_path / "out"), "-v").stderr


def test_connect_gives_sql_over_the_parquet_files(seed_build):
    from pipeline.load import connect

    con = connect(seed_build, ["statements", "meetings"])
    try:
        assert con.sql("SELECT count(*) FROM statements JOIN meetings USING (meeting_id)").fetchall()[0][0] == 4  # 7 statements, 4 at a meeting
    finally:
        con.close()
