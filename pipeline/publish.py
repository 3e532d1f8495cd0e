"""Publish: write CSV, Parquet, DuckDB, texts, datapackage.json and SHA256SUMS, atomically.

Everything is written to a temporary folder beside the target, checked there (frictionless
on the CSV package, DuckDB constraints on load), and only then moved into place, so a failed
build leaves the previous one exactly as it was. The only stage that writes the output folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from pipeline import __version__
from pipeline.errors import Issue, PipelineError
from pipeline.outdir import MARKER, marker_bytes, place_of, swap
from pipeline.paths import DUCKDB_NAME, REFERENCE_DIR
from pipeline.runtime import PUBLISHED, no_tick, stop_if_signalled, ticker
from pipeline.schemas import Table, load_package, load_tables, load_views, to_datapackage, to_duckdb_ddl

DUCKDB_STORAGE_VERSION = "v1.0.0"  # readable by DuckDB 1.0 and later
META_TABLE = "CREATE TABLE _meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"
META_COLUMNS = {"key": "What the fact is: dataset, version, created, reference_sha256, source_sha256:<source_id>, rows:<table>.",
                "value": "The fact, as text."}
DUCKDB_MEMORY_LIMIT = "512MB"
CSV_BATCH_ROWS = 65536  # loaded blocks are written to the file and evicted, not all kept in memory


class Staging:
    """The temporary folder beside the target that a build is published from, begun early: a thread
    writes the source texts and the reference data there while the tables are still being made
    (thousands of small files cost seconds of waiting on the file system, hardly any CPU). Start it
    after forking any child, and `wait` for it before forking another."""

    def __init__(self, out_dir: Path, texts: dict[str, str], thread: bool = True, progress=None):
        place = place_of(out_dir)
        place.home.mkdir(parents=True, exist_ok=True)
        self.out_dir = place.out
        self.folder = place.sibling("tmp", os.getpid())
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir()
        self.files: dict[str, tuple[int, str]] = {}
        self.tables: set[str] = set()  # those whose CSV and Parquet files are written already
        self.tick = ticker(progress, "publish: CSV and Parquet tables", len(load_tables()))  # a table's files written
        self.error: BaseException | None = None
        self.sources = sorted(texts)
        self.thread = threading.Thread(target=self._write, args=(texts,), name="staging", daemon=True) if thread else None
        if self.thread is not None:
            self.thread.start()
        else:
            self._write(texts)

    def _write(self, texts: dict[str, str]) -> None:
        try:
            for sid in self.sources:
                self.files[f"texts/{sid}.txt"] = _write(self.folder / "texts" / f"{sid}.txt", texts[sid].encode("utf-8"))
            for source in load_package()["sources"]:  # the reference data the build used travels with it
                self.files[source["path"]] = _write(self.folder / source["path"],
                                                    (REFERENCE_DIR.parent / source["path"]).read_bytes())
        except BaseException as err:  # noqa: BLE001 - raised again by wait(), in the caller's thread
            self.error = err

    def write_tables(self, arrow: dict, names: list[str]) -> None:
        """Write these tables' CSV and Parquet files now (in this thread), from conformed Arrow tables:
        a build does it while another process still conforms the rest; `publish` writes the others."""
        for name in names:
            table = arrow[name]
            self.files[f"csv/{name}.csv"] = _write_csv(self.folder / "csv" / f"{name}.csv", table)
            self.files[f"parquet/{name}.parquet"] = _write_parquet(self.folder / "parquet" / f"{name}.parquet", table)
            self.tables.add(name)
            self.tick()
            del table

    def write_package(self, arrow: dict, report: dict) -> None:
        """Write the tables not written yet (a table at a time), then, once the texts are in too,
        datapackage.json and report.json: everything the checks look at."""
        tables = load_tables()
        self.write_tables(arrow, [name for name in tables if name not in self.tables])
        files = self.wait()
        raw_sources = [{"title": f"Source text {sid}", "path": f"texts/{sid}.txt"} for sid in self.sources]
        package = to_datapackage(__version__, created_timestamp(), files=files, sources=raw_sources)
        self.files["datapackage.json"] = _write(self.folder / "datapackage.json", json_bytes(package))
        self.files[MARKER] = _write(self.folder / MARKER, marker_bytes(load_package()["name"], __version__))
        self.files["report.json"] = _write(self.folder / "report.json", json_bytes(report))

    def wait(self) -> dict[str, tuple[int, str]]:
        """The files written (path -> size, sha256), once they all are."""
        if self.thread is not None:
            self.thread.join()
        if self.error is not None:
            raise self.error
        return dict(self.files)

    def discard(self) -> None:
        """Delete the folder (the build failed, or it has been moved into place)."""
        if self.thread is not None:
            self.thread.join()
        if self.folder.exists():
            shutil.rmtree(self.folder)


def publish(staging: Staging, arrow: dict, report: dict, gate, progress=None) -> None:
    """Finish the build staged in `staging` (every table and the package written by `write_package`)
    and move it into place only if every check passes: DuckDB is written while `gate`, a
    FrictionlessGate its caller started on the staging folder, checks the CSV package; then
    SHA256SUMS, and the swap. Raises PipelineError("publish") with what the checks found. A `progress`
    that draws bars (see runtime.ticker) shows the DuckDB tables and the frictionless checks."""
    tables = load_tables()
    files = staging.wait()
    counts = {name: arrow[name].num_rows for name in tables}
    issues = _write_duckdb(staging.folder / DUCKDB_NAME, arrow, tables, _meta_rows(report, counts),
                           ticker(progress, "publish: DuckDB tables", len(tables)))
    issues += gate.result(ticker(progress, "publish: frictionless checks", len(gate.tasks)))
    if issues:
        raise PipelineError("publish", issues)
    _write_checksums(staging.folder, files)
    stop_if_signalled()  # a Ctrl-C that DuckDB swallowed still stops the build before it is published
    swap(staging.folder, staging.out_dir)
    PUBLISHED.append(staging.out_dir)


def _meta_rows(report: dict, counts: dict[str, int]) -> dict:
    rows = {"dataset": load_package()["name"], "version": __version__, "created": created_timestamp(),
            "reference_sha256": report.get("reference_sha256", "")}
    rows.update({f"source_sha256:{sid}": digest for sid, digest in sorted(report.get("sources", {}).items())})
    rows.update({f"rows:{name}": n for name, n in counts.items()})
    return rows


def created_timestamp() -> str:
    """The package's creation time: SOURCE_DATE_EPOCH when set, else the date in schemas/package.yaml."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(load_package()["created"])


def root_datapackage() -> dict:
    """The repository's datapackage.json: the default build (build/), described from schemas/ alone."""
    return to_datapackage(__version__, created_timestamp(), csv_dir="build/csv", parquet_dir="build/parquet")


def json_bytes(obj) -> bytes:
    """Stable JSON bytes: keys in reading order, indent 2, UTF-8, LF and a final newline."""
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write(path: Path, data: bytes) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data), hashlib.sha256(data).hexdigest()


def _write_csv(path: Path, arrow) -> tuple[int, str]:
    """CSV through Arrow's writer, straight to the file: header, LF, quotes only where needed, empty
    cell for NULL."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    schema = pa.schema([pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type) for f in arrow.schema])
    path.parent.mkdir(parents=True, exist_ok=True)
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    with pacsv.CSVWriter(str(path), schema, write_options=options) as writer:
        for batch in arrow.to_batches(max_chunksize=CSV_BATCH_ROWS):  # codes spelled out a batch at a time
            writer.write_batch(pa.RecordBatch.from_arrays(
                [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in batch.columns], schema=schema))
    return _digest(path)


def _write_parquet(path: Path, arrow) -> tuple[int, str]:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(arrow, str(path), compression="zstd", write_statistics=True, store_schema=True, use_dictionary=True)
    return _digest(path)


def _digest(path: Path) -> tuple[int, str]:
    """A file's size and sha256, read in blocks (a table's file can be larger than is worth holding)."""
    with open(path, "rb") as f:
        return path.stat().st_size, hashlib.file_digest(f, "sha256").hexdigest()


def _write_duckdb(path: Path, arrow_tables: dict, tables: dict[str, Table], meta: dict,
                  tick: Callable[[], None] = no_tick) -> list[Issue]:
    """Create every table with its constraints, comments and views, bulk-load it, and add `_meta`.

    Written with storage version v1.0.0 so DuckDB 1.x opens it too. A constraint failure is an issue.
    """
    import duckdb
    import pyarrow as pa

    con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT})
    issues = []
    try:
        con.sql(f"ATTACH '{_sql_escape(str(path))}' AS ds (STORAGE_VERSION '{DUCKDB_STORAGE_VERSION}')")
        con.sql("USE ds")
        for name, table in tables.items():
            for statement in _table_sql(table):
                con.sql(statement)
            self_ref = next((fk for fk in table.foreign_keys if fk.resource == name), None)
            try:
                if self_ref:  # parents before children: loaded from Arrow, in batches
                    for batch in _parents_first(arrow_tables[name], self_ref):
                        con.register("_incoming", batch)
                        con.sql(f"INSERT INTO {name} SELECT * FROM _incoming")
                        con.unregister("_incoming")
                else:  # streamed from the Parquet file just written: no copy of the table in this process
                    parquet = _sql_escape(str(path.parent / "parquet" / f"{name}.parquet"))
                    con.sql(f"INSERT INTO {name} SELECT * FROM read_parquet('{parquet}')")
            except duckdb.Error as err:
                issues.append(Issue(str(path), "duckdb_constraint", str(err).splitlines()[0], table=name))
            con.sql("CHECKPOINT")  # the table's blocks go to the file and leave memory before the next table
            tick()
        for view in _views_sql():
            for statement in view:
                con.sql(statement)
        con.sql(META_TABLE)
        meta_rows = pa.table({"key": list(meta), "value": [str(v) for v in meta.values()]})
        con.register("_incoming", meta_rows)  # one bulk insert: a row per source would be slow row by row
        con.sql("INSERT INTO _meta SELECT * FROM _incoming")
        con.unregister("_incoming")
        for statement in _meta_comments():
            con.sql(statement)
        con.sql("USE memory")
        con.sql("DETACH ds")
    finally:
        con.close()
    return issues


def duckdb_script(build_dir: Path) -> str:
    """SQL that makes the build's DuckDB database from its Parquet files, run in the folder that holds
    them (`duckdb sco_statements.duckdb < sco_statements.sql`): the same tables with their keys, checks
    and comments, the views and `_meta`. Text, so a release that ships it is the same bytes for the
    same data (DuckDB lays its file out differently every time)."""
    import duckdb
    import pyarrow.parquet as pq

    out = ["-- Makes sco_statements.duckdb from the Parquet files beside this file:",
           "--   duckdb sco_statements.duckdb < sco_statements.sql", ""]
    for name, table in load_tables().items():
        out += [statement + ";" for statement in _table_sql(table)]
        parquet = f"parquet/{name}.parquet"
        self_ref = next((fk for fk in table.foreign_keys if fk.resource == name), None)
        if self_ref is None:
            out.append(f"INSERT INTO {name} SELECT * FROM read_parquet('{parquet}');")
        else:  # parents before children, a batch of keys at a time
            key = self_ref.reference_fields[0]
            for batch in _parents_first(pq.read_table(build_dir / parquet), self_ref):
                keys = ", ".join(f"'{_sql_escape(str(k))}'" for k in batch.column(key).to_pylist())
                out.append(f"INSERT INTO {name} SELECT * FROM read_parquet('{parquet}') WHERE \"{key}\" IN ({keys});")
        out.append("")
    for view in _views_sql():
        out += [statement + ";" for statement in view] + [""]
    con = duckdb.connect(str(build_dir / DUCKDB_NAME), read_only=True)
    try:
        meta = con.sql("SELECT key, value FROM _meta ORDER BY key").fetchall()
    finally:
        con.close()
    out.append(META_TABLE + ";")
    out += [f"INSERT INTO _meta VALUES ('{_sql_escape(k)}', '{_sql_escape(v)}');" for k, v in meta]
    out += [statement + ";" for statement in _meta_comments()]
    return "\n".join(out) + "\n"


def _table_sql(table: Table) -> list[str]:
    """A table's CREATE (keys, checks) and comments: what the database file and the release's script both run."""
    return [to_duckdb_ddl(table), f"COMMENT ON TABLE {table.name} IS '{_sql_escape(table.description)}'"] + \
        [f"COMMENT ON COLUMN {table.name}.\"{f.name}\" IS '{_sql_escape(f.description)}'" for f in table.fields]


def _views_sql() -> list[tuple[str, str]]:
    """Each view of schemas/views.sql, and its comment."""
    return [(sql, f"COMMENT ON VIEW {name} IS '{_sql_escape(description)}'") for name, description, sql in load_views()]


def _meta_comments() -> list[str]:
    return ["COMMENT ON TABLE _meta IS 'Build facts: dataset version, input checksums, row counts.'"] + \
        [f"COMMENT ON COLUMN _meta.{column} IS '{_sql_escape(description)}'" for column, description in META_COLUMNS.items()]


def _parents_first(arrow, fk) -> list:
    """Split a self-referencing table into batches where every parent precedes its children."""
    child, parent = fk.fields[0], fk.reference_fields[0]
    rows = arrow.to_pylist()
    done: set = set()
    remaining = list(range(len(rows)))
    batches = []
    while remaining:
        # a cycle or a missing parent loads the rest at once and lets the constraint say so
        ready = [i for i in remaining if rows[i][child] is None or rows[i][child] in done] or remaining
        batches.append(arrow.take(ready))
        done.update(rows[i][parent] for i in ready)
        taken = set(ready)
        remaining = [i for i in remaining if i not in taken]
    return batches


def _sql_escape(text: str) -> str:
    return " ".join(text.split()).replace("'", "''")


def _write_checksums(folder: Path, known: dict[str, tuple[int, str]]) -> None:
    """SHA256SUMS of every file but the DuckDB database, reusing the digests taken as the files were written."""
    lines = []
    for rel in sorted(_files_under(folder), key=lambda rel: rel.split("/")):  # as paths sort: folder by folder
        if rel == DUCKDB_NAME:
            continue  # its bytes differ from build to build (DuckDB's own layout): `validate` checks its content
        lines.append(f"{known[rel][1] if rel in known else _digest(folder / rel)[1]}  {rel}")
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _files_under(folder: Path) -> list[str]:
    """Every file under folder, as a POSIX path relative to it (one directory listing per folder, no
    stat per file: tens of thousands of texts at scale)."""
    found, todo = [], [""]
    while todo:
        rel = todo.pop()
        with os.scandir(folder / rel) as entries:
            for entry in entries:
                name = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    todo.append(name)
                elif entry.is_file():
                    found.append(name)
    return found
