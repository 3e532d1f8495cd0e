"""Validate: every check a table must pass before it is published, collected as issues.

Three layers: pandera on each table (lazy, every failure), cross-table checks (foreign keys,
spans that reproduce their text, known rule ids), and, on a written folder, frictionless on
the CSV package, SHA256SUMS and the DuckDB file's content.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Mapping
from pathlib import Path

from pipeline.errors import Issue
from pipeline.paths import DUCKDB_NAME
from pipeline.runtime import Forked, as_child
from pipeline.schemas import Table, load_tables, repeated_key_rows, to_pandera

PANDERA_RULES = (("isin", "enum"), ("str_matches", "pattern"), ("greater_than_or_equal_to", "minimum"),
                 ("less_than_or_equal_to", "maximum"), ("not_nullable", "required"), ("field_uniqueness", "unique"),
                 ("multiple_fields_uniqueness", "primary_key"), ("dtype", "type"))
GATE_PARTS_PER_WORKER = 3  # a resource larger than a third of a gate process's share is cut into parts of about that size
SPAN_TABLES = {"statements": ("text", "char_start", "char_end"),
               "evidence": ("span_text", "char_start", "char_end"),
               "coverage": ("text", "char_start", "char_end")}
SPAN_SHARES = (("evidence",), ("statements", "coverage"))  # with 2+ workers, a forked child each: about equal rows


def validate(frames: Mapping, texts: dict[str, str], rule_ids: set[str] | None = None, workers: int = 1) -> list[Issue]:
    """Every problem in a set of tables: pandera per table, then keys, spans and rule ids across them.
    With two workers or more, the spans (the costliest check) are checked in forked children meanwhile."""
    spans = [Forked(_span_issues, frames, texts, share) for share in SPAN_SHARES] if workers > 1 else None
    try:
        return _table_then_cross_issues(frames, texts, rule_ids, spans)
    finally:
        for child in spans or ():
            child.close()


def validate_tables(tables: Mapping, texts: dict[str, str], rule_ids: set[str], workers: int) -> tuple[list[Issue], float]:
    """The verdict on the conformed tables (Arrow, by name: a build's scratch folder) and how long
    it took to reach."""
    import time

    start = time.perf_counter()
    issues = validate(Frames(tables, load_tables()), texts, rule_ids, workers)
    return issues, round(time.perf_counter() - start, 3)


class Frames(Mapping):
    """pandas views of the conformed tables, made when asked for and never kept: validation looks at
    one or two tables at a time, a large one in batches of rows (`batches`) or a few columns (`select`)."""

    def __init__(self, tables: Mapping, specs: dict, batch_rows: int = 262144):
        self.tables, self.specs, self.batch_rows = tables, specs, batch_rows

    def __getitem__(self, name: str):
        from pipeline.schemas import to_frame

        return to_frame(self.tables[name], self.specs[name])

    def batches(self, name: str):
        """A table's pandas views, a batch of rows at a time (indexed by row number in the table)."""
        import pandas as pd

        from pipeline.schemas import to_frame

        arrow, rows = self.tables[name], self.batch_rows
        for lo in range(0, max(arrow.num_rows, 1), rows):
            frame = to_frame(arrow.slice(lo, rows), self.specs[name])
            frame.index = pd.RangeIndex(lo, lo + len(frame))
            yield frame

    def select(self, name: str, columns: list[str]):
        """Only these columns of a table (read from disk alone when the tables are spilled there)."""
        from pipeline.schemas import to_frame

        read = getattr(self.tables, "columns", None)
        arrow = read(name, columns) if read else self.tables[name].select(columns)
        return to_frame(arrow, self.specs[name], columns)

    def __contains__(self, name) -> bool:  # (Mapping's would make the table's pandas view, then drop it)
        return name in self.tables

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def _table_then_cross_issues(frames: Mapping, texts: dict[str, str], rule_ids: set[str] | None,
                             spans: list[Forked] | None) -> list[Issue]:
    tables = load_tables()
    issues: list[Issue] = []
    for name, table in tables.items():
        if name not in frames:
            issues.append(Issue(f"table {name}", "table_missing", "table was not produced", table=name))
            continue
        batches = getattr(frames, "batches", None)
        if batches is None:
            issues.extend(_pandera_issues(frames[name], table))
        else:  # a large table a batch of rows at a time, its key's uniqueness over the whole table
            for frame in batches(name):
                issues.extend(_pandera_issues(frame, table, unique=False))
            issues.extend(_duplicate_key_issues(_columns(frames, name, list(table.primary_key)), table))
    if issues:
        return issues
    issues.extend(_foreign_key_issues(frames, tables))
    if spans is None:
        issues.extend(_span_issues(frames, texts))
    else:  # in SPAN_TABLES order, as one process would have found them
        found = [issue for child in spans for issue in child.result()]
        issues.extend(sorted(found, key=lambda issue: list(SPAN_TABLES).index(issue.table)))
    if rule_ids is not None:
        for table, column in (("evidence", "rule_id"), ("statement_themes", "rule_id")):
            values = _columns(frames, table, [column])[column]
            unknown = values[~values.isin(sorted(rule_ids))]
            for i, rule in unknown.items():
                issues.append(Issue(f"table {table} row {i}", "unknown_rule", "rule id is not in reference/rules/",
                                    table=table, field=column, value=rule))
    return issues


def validate_folder(out_dir: Path, rule_ids: set[str] | None = None) -> list[Issue]:
    """Re-validate a built folder: checksums, tables (read back from CSV), frictionless, DuckDB content."""
    out_dir = Path(out_dir)
    if not (out_dir / "datapackage.json").is_file():
        return [Issue(str(out_dir), "not_a_build", "no datapackage.json: not a built folder")]
    issues = checksum_issues(out_dir)  # reported, and the tables are still checked
    package = _package_issues(out_dir)
    issues.extend(package)
    frames = {}
    unreadable = []
    for name, table in load_tables().items():
        path = out_dir / "csv" / f"{name}.csv"
        if not path.is_file():
            unreadable.append(Issue(str(path), "file_missing", "table file is missing", table=name))
            continue
        try:
            frames[name] = read_csv_table(path, table)
        except (ValueError, KeyError) as err:
            unreadable.append(Issue(str(path), "unreadable_csv", str(err).splitlines()[0], table=name))
    if unreadable:
        return issues + unreadable
    texts = {}
    for sid in frames["sources"]["source_id"]:
        p = out_dir / "texts" / f"{sid}.txt"
        if p.is_file():
            texts[sid] = p.read_text(encoding="utf-8")
        else:
            issues.append(Issue(str(p), "text_missing", "the source's text is missing, spans cannot be checked"))
    issues.extend(validate(frames, texts, rule_ids))
    if not package:  # frictionless reads the descriptor: only a sound one
        try:
            issues.extend(frictionless_issues(out_dir))
        except Exception as err:  # noqa: BLE001 - a damaged file is a line of the report, never an exception
            issues.append(Issue(str(out_dir), "frictionless_failed", f"frictionless could not check it: {_said(err)}"))
    try:
        issues.extend(duckdb_issues(out_dir, frames))
    except Exception as err:  # noqa: BLE001 - as above
        issues.append(Issue(str(out_dir / DUCKDB_NAME), "duckdb_failed", f"DuckDB could not check it: {_said(err)}"))
    return issues


def _said(err: Exception) -> str:
    """An exception on one line."""
    first = str(err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


def _package_issues(out_dir: Path) -> list[Issue]:
    """datapackage.json reads as JSON and describes every table the schemas declare."""
    import json

    path = out_dir / "datapackage.json"
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
        names = {r.get("name") for r in package.get("resources", [])}
    except (OSError, ValueError, AttributeError, TypeError) as err:
        return [Issue(str(path), "datapackage_unreadable", f"not a readable data package ({type(err).__name__})")]
    return [Issue(str(path), "datapackage_resource_missing", "the table has no resource in datapackage.json", table=name)
            for name in load_tables() if name not in names]


def read_csv_table(path: Path, table: Table):
    """Read a published CSV with the dtypes its schema declares (empty cells are NULL)."""
    import pandas as pd

    from pipeline.schemas import PANDAS_DTYPES

    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    if list(raw.columns) != table.columns:
        raise ValueError(f"columns are {list(raw.columns)}, the schema says {table.columns}")
    out = {}
    for f in table.fields:
        col = raw[f.name]
        if f.type == "boolean":
            mapped = col.map({"true": True, "false": False}, na_action="ignore")
            bad = col.notna() & mapped.isna()
            if bad.any():
                raise ValueError(f"column {f.name}: {col[bad].iloc[0]!r} is not true or false")
            col = mapped
        elif f.type == "integer":
            col = pd.to_numeric(col, errors="raise")
        out[f.name] = pd.array(list(col.astype(object).where(col.notna(), None)), dtype=PANDAS_DTYPES[f.type])
    return pd.DataFrame(out)


def frictionless_issues(out_dir: Path, workers: int | None = None) -> list[Issue]:
    """Validate every row of the CSV package with frictionless (schemas, primary and foreign keys),
    in `workers` processes, largest task first, since row checks cost far more than anything else."""
    gate = FrictionlessGate(out_dir, workers)
    try:
        return gate.result()
    finally:
        gate.close()


class FrictionlessGate:
    """frictionless_issues started now and collected later, so the caller can work meanwhile
    (its processes are forked at once, before the caller starts anything else).

    With several processes, a resource far larger than the others (evidence) would keep one of them
    busy long after the rest are done; such a resource is cut at record boundaries into parts of
    a third of a process's share, each validated as the resource itself (types, constraints, foreign keys)
    in a temporary file of its own, while the task of its first part checks what only the whole file
    shows (its size, hash and primary key). A resource that refers to itself is never cut (its rows
    may refer to rows of another part).
    """

    def __init__(self, out_dir: Path, workers: int | None = None):
        import os

        self.out_dir = out_dir
        tables = load_tables()
        self.workers = max(1, workers or os.cpu_count() or 1)
        sizes = {n: (out_dir / "csv" / f"{n}.csv").stat().st_size for n in tables}
        most = sum(sizes.values()) / (self.workers * GATE_PARTS_PER_WORKER)
        self.tasks: list[tuple[str, int | None, int | None]] = []  # (resource, first byte, end byte) of a part
        for name, table in tables.items():
            whole = self.workers == 1 or sizes[name] <= most or any(fk.resource == name for fk in table.foreign_keys)
            if whole:
                self.tasks.append((name, None, None))
            else:
                cuts = csv_cuts(out_dir / "csv" / f"{name}.csv", int(sizes[name] // most) + 1)
                self.tasks += list(zip([name] * (len(cuts) - 1), cuts, cuts[1:]))
        # costliest first (the bytes a task reads: its part or file, and every resource its foreign
        # keys look up in full), so that the last to end are short
        lookups = {n: sum(sizes[fk.resource] for fk in t.foreign_keys if fk.resource != n) for n, t in tables.items()}
        self.tasks.sort(key=lambda t: -((t[2] - t[1]) if t[1] is not None else sizes[t[0]]) - lookups[t[0]])
        self.pool = None
        if self.workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(max_workers=min(self.workers, len(self.tasks)),
                                            initializer=as_child, initargs=(os.getpid(),))
            self.futures = [self.pool.submit(_frictionless_resource, str(out_dir), *t) for t in self.tasks]

    def result(self, tick=None) -> list[Issue]:
        """Every issue frictionless found, in table order (and in row order within a table); `tick()` is
        called as each task ends."""
        from concurrent.futures import as_completed

        from pipeline.runtime import no_tick

        tick = tick or no_tick
        if self.pool is None:
            results = []
            for t in self.tasks:
                results.append(_frictionless_resource(str(self.out_dir), *t))
                tick()
        else:
            for _ in as_completed(self.futures):
                tick()
            results = [f.result() for f in self.futures]
        by_name: dict[str, list] = {}
        for (name, first, _), found in sorted(zip(self.tasks, results), key=lambda r: (r[0][0], r[0][1] or 0)):
            by_name.setdefault(name, []).extend(found)
        return [Issue(**i) for name in load_tables() for i in by_name.get(name, [])]

    def close(self) -> None:
        """Stop the processes (what has not started is cancelled)."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def csv_cuts(path: Path, parts: int) -> list[int]:
    """Byte offsets that cut a CSV file's records into `parts` runs of about equal size: the first
    record's offset, the cuts (each just after a line break outside quotes), and the file's size."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        cuts = [len(f.readline())]  # the header
        parity = 0  # quotes seen since the first record, modulo 2: odd inside a quoted field
        pos = cuts[0]
        for k in range(1, parts):
            target = cuts[0] + (size - cuts[0]) * k // parts
            if target <= cuts[-1]:
                continue
            while pos < target:  # count the quotes up to the target
                block = f.read(min(1 << 24, target - pos))
                parity ^= block.count(b'"') & 1
                pos += len(block)
            cut = None
            while cut is None:  # then the first line break outside quotes
                block = f.read(1 << 16)
                if not block:
                    break
                i = 0
                while cut is None and (j := block.find(b"\n", i)) >= 0:
                    parity ^= block.count(b'"', i, j) & 1
                    i = j + 1
                    if not parity:
                        cut = pos + i
                parity ^= block.count(b'"', i) & 1 if cut is None else 0
                pos += len(block) if cut is None else i
            if cut is None or cut >= size:
                break
            f.seek(cut)
            cuts.append(cut)
    return cuts + [size]


def _frictionless_resource(out_dir: str, name: str, first: int | None = None, end: int | None = None) -> list[dict]:
    """One resource of the CSV package (or the part of its file from byte `first` to `end`), validated
    with its package around it (for foreign keys)."""
    import json
    import os
    import shutil
    import tempfile

    from frictionless import Package

    with open(Path(out_dir) / "datapackage.json", encoding="utf-8") as f:
        descriptor = json.load(f)
    descriptor["resources"] = [r for r in descriptor["resources"] if r.get("format") == "csv"]
    resource = next(r for r in descriptor["resources"] if r["name"] == name)
    path = Path(out_dir) / resource["path"]
    issues, basepath, shift = [], out_dir, None
    if first is not None:  # the part in a file of its own, in a temporary folder where csv/ is the package's
        if first == _header_length(path):  # the first part checks what only the whole file shows
            issues += _whole_file_issues(path, resource)
        basepath = tempfile.mkdtemp(prefix="sco-gate-")
        os.symlink(Path(out_dir).resolve() / "csv", Path(basepath) / "csv")
        _copy_part(path, Path(basepath) / "part.csv", first, end)
        resource["path"] = "part.csv"
        for integrity in ("bytes", "hash"):
            resource.pop(integrity, None)
    try:
        report = Package(descriptor, basepath=basepath).get_resource(name).validate()
    finally:
        if first is not None:
            shutil.rmtree(basepath, ignore_errors=True)
    for task in report.tasks:
        for err in task.errors:
            if first is not None and err.type == "primary-key":
                continue  # checked over the whole file (a part sees only its own rows)
            row = getattr(err, "row_number", None)
            if row and first is not None:
                shift = _records_before(path, first) - 1 if shift is None else shift  # data rows of earlier parts
                row += shift
            where = f"{path}" + (f":{row}" if row else "")
            issues.append(Issue(where, f"frictionless:{err.type}", err.message, table=name).to_dict())
    return issues


def _header_length(path: Path) -> int:
    with open(path, "rb") as f:
        return len(f.readline())


def _copy_part(path: Path, dest: Path, first: int, end: int) -> None:
    """A file of the CSV's header and the records from byte `first` to `end`."""
    with open(path, "rb") as src, open(dest, "wb") as out:
        out.write(src.readline())
        src.seek(first)
        left = end - first
        while left > 0:
            block = src.read(min(1 << 24, left))
            if not block:
                break
            out.write(block)
            left -= len(block)


def _records_before(path: Path, offset: int) -> int:
    """How many records (the header included) a CSV file has before byte `offset` (a record boundary)."""
    import csv
    import io

    with open(path, "rb") as f:
        head = f.read(offset)
    return sum(1 for _ in csv.reader(io.StringIO(head.decode("utf-8"), newline="")))


def _whole_file_issues(path: Path, resource: dict) -> list[dict]:
    """What frictionless checks of a whole resource that its parts cannot show: the file's size and
    hash against the descriptor, and that no two rows share a primary key."""
    import hashlib

    import pyarrow as pa
    import pyarrow.csv as pacsv

    issues = []
    size, digest = path.stat().st_size, hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            digest.update(block)
    if "bytes" in resource and resource["bytes"] != size:
        issues.append(Issue(str(path), "frictionless:byte-count",
                            f'The data source does not match the expected byte count: expected is "{resource["bytes"]}" '
                            f'and actual is "{size}"', table=resource["name"]))
    if "hash" in resource and resource["hash"].split(":")[-1] != digest.hexdigest():
        issues.append(Issue(str(path), "frictionless:hash-count",
                            f'The data source does not match the expected hash count: expected is "{resource["hash"]}" '
                            f'and actual is "sha256:{digest.hexdigest()}"', table=resource["name"]))
    keys = resource.get("schema", {}).get("primaryKey") or []
    keys = [keys] if isinstance(keys, str) else keys
    if keys:  # the key columns alone, streamed; repeated keys are neighbours once sorted (no hash table)
        reader = pacsv.open_csv(path, convert_options=pacsv.ConvertOptions(
            include_columns=keys, column_types={k: pa.string() for k in keys}, strings_can_be_null=True))
        for i in repeated_key_rows(pa.Table.from_batches(list(reader), schema=reader.schema)):
            issues.append(Issue(f"{path}:{i + 2}", "frictionless:primary-key",
                                f'Row at position "{i + 2}" violates the primary key: all the primary key '
                                'values must be unique', table=resource["name"]))
    return [i.to_dict() for i in issues]


def duckdb_issues(out_dir: Path, frames: dict) -> list[Issue]:
    """The DuckDB file holds every table with the same rows as the Parquet copy (which SHA256SUMS
    covers; DuckDB's own bytes differ from build to build, so its content is what is checked)."""
    import duckdb

    path = out_dir / DUCKDB_NAME
    if not path.is_file():
        return [Issue(str(path), "file_missing", "DuckDB database is missing")]
    issues = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        for name, frame in frames.items():
            if name not in present:
                issues.append(Issue(str(path), "duckdb_table_missing", "table is missing from the database", table=name))
                continue
            n = con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0]
            if n != len(frame):
                issues.append(Issue(str(path), "duckdb_row_count", f"{n} rows in DuckDB, {len(frame)} in CSV", table=name))
                continue
            parquet = out_dir / "parquet" / f"{name}.parquet"
            if parquet.is_file():
                other = str(parquet).replace("'", "''")
                differ = con.sql(f"SELECT count(*) FROM ((SELECT * FROM {name} EXCEPT ALL SELECT * FROM read_parquet('{other}')) "
                                 f"UNION ALL (SELECT * FROM read_parquet('{other}') EXCEPT ALL SELECT * FROM {name}))").fetchall()[0][0]
                if differ:
                    issues.append(Issue(str(path), "duckdb_content", f"{differ} row(s) differ from the Parquet copy", table=name))
    finally:
        con.close()
    return issues


def _pandera_issues(frame, table: Table, unique: bool = True) -> list[Issue]:
    import pandera.errors

    try:
        to_pandera(table, unique).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as err:
        issues = []
        for case in err.failure_cases.itertuples(index=False):
            index = getattr(case, "index", None)
            where = f"table {table.name}" + (f" row {int(index)}" if index is not None and index == index else "")
            check = str(case.check)
            rule = next((name for prefix, name in PANDERA_RULES if check.startswith(prefix)), check)
            issues.append(Issue(where, f"schema:{rule}", f"value breaks the schema ({check})", table=table.name,
                                field=case.column, value=None if case.failure_case is None else str(case.failure_case)))
        return issues
    return []


def _duplicate_key_issues(keys, table: Table) -> list[Issue]:
    """Rows whose primary key another row has too (what pandera's uniqueness check finds in a whole table)."""
    dup = keys[keys.duplicated(keep=False) & keys.notna().all(axis=1)]
    return [Issue(f"table {table.name} row {i}", "schema:primary_key",
                  "value breaks the schema (multiple_fields_uniqueness)", table=table.name,
                  field=",".join(table.primary_key), value="|".join(str(v) for v in values))
            for i, values in zip(dup.index, dup.itertuples(index=False))]


def _foreign_key_issues(frames: dict, tables: dict[str, Table]) -> list[Issue]:
    import pandas as pd

    issues = []
    for name, table in tables.items():
        for fk in table.foreign_keys:
            child = _columns(frames, name, list(fk.fields))
            child = child[child.notna().all(axis=1)].astype(str)
            parent = _columns(frames, fk.resource, list(fk.reference_fields)).astype(str)
            keys = pd.MultiIndex.from_frame(child)
            missing = ~keys.isin(pd.MultiIndex.from_frame(parent))
            for i, value in zip(child.index[missing], keys[missing]):
                shown = "|".join(value)
                issues.append(Issue(f"table {name} row {i}", "foreign_key",
                                    f"no {fk.resource} row has {', '.join(fk.reference_fields)} = {shown}",
                                    table=name, field=",".join(fk.fields), value=shown))
    return issues


def _span_issues(frames: dict, texts: dict[str, str], names=tuple(SPAN_TABLES), batch: int = 65536) -> list[Issue]:
    """Rows of tables `names` whose span of their source's text, whitespace normalised, is not their text column.

    Most spans need no normalising: when the span's text is the text column, and that column is in
    normal form (no whitespace but single inner spaces: found for a whole batch at once, by Arrow),
    the span normalises to it, and one comparison says so (the loop runs over millions of rows: a
    source's text is found by its number in the batch, not looked up by name)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    issues = []
    for name, (col, a, b) in SPAN_TABLES.items():
        if name not in names:
            continue
        frame = _columns(frames, name, ["source_id", a, b, col])
        for lo in range(0, len(frame), batch):  # as Python objects a batch at a time
            sids = _arrow(frame["source_id"].iloc[lo:lo + batch])
            sids = sids if pa.types.is_dictionary(sids.type) else sids.dictionary_encode()
            in_sids = [texts.get(sid) for sid in sids.dictionary.to_pylist()] + [None]  # the last: no source id
            expected = _arrow(frame[col].iloc[lo:lo + batch])
            normal = pc.invert(pc.match_substring_regex(expected, _not_normal_space())).fill_null(True).to_pylist()
            columns = [sids.indices.fill_null(len(in_sids) - 1).to_pylist()]
            columns += [_values(frame[c].iloc[lo:lo + batch]) for c in (a, b)]
            for i, k, start, end, text, ok in zip(range(lo, lo + batch), *columns, expected.to_pylist(), normal):
                source = in_sids[k]
                if source is None:
                    continue
                if 0 <= start <= end <= len(source):
                    raw = source[start:end]
                    if raw == text and ok:
                        continue
                    if " ".join(raw.split()) == text:
                        continue
                sid = sids.dictionary[k].as_py()
                issues.append(Issue(f"table {name} row {i}", "span_mismatch",
                                    f"text[{start}:{end}] of source {sid} does not reproduce {col}",
                                    table=name, field=col, value=str(text)[:80]))
    return issues


@functools.cache
def _not_normal_space() -> str:
    """A regular expression (RE2, as Arrow reads it) that finds text not in the normal form
    " ".join(text.split()): a leading, trailing or doubled space, or any other character that
    str.split() splits on (taken from Python itself, once per process that checks spans)."""
    other = "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() and c != " ")
    return f"^ | $|  |[{other}]"


def _columns(frames: Mapping, name: str, columns: list[str]):
    """Some columns of a table: frames that can load only those (`select`) are asked to."""
    select = getattr(frames, "select", None)
    return select(name, columns) if select else frames[name][columns]


def _values(series) -> list:
    """A column's values as Python objects, through Arrow (iterating a pandas Arrow column is slow)."""
    return _arrow(series).to_pylist()


def _arrow(series):
    """A pandas column as an Arrow array."""
    import pyarrow as pa

    return pa.array(series)


def checksum_issues(out_dir: Path) -> list[Issue]:
    """Files listed in SHA256SUMS that are missing or whose bytes differ, and files of the build it does
    not list (added, or their line removed). The DuckDB file is checked by content (duckdb_issues)."""
    from pipeline.outdir import published

    sums = out_dir / "SHA256SUMS"
    if not sums.is_file():
        return [Issue(str(sums), "checksums_missing", "SHA256SUMS is missing")]
    issues, listed = [], set()
    try:
        lines = sums.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        return [Issue(str(sums), "checksums_unreadable", f"SHA256SUMS cannot be read ({type(err).__name__})")]
    for line_no, line in enumerate(lines, start=1):
        digest, _, rel = line.partition("  ")
        listed.add(rel)
        path = out_dir / rel
        if not path.is_file():
            issues.append(Issue(f"{sums}:{line_no}", "checksum_file_missing", "listed file is missing", value=rel))
        elif _file_sha256(path) != digest:
            issues.append(Issue(f"{sums}:{line_no}", "checksum_mismatch", "file's bytes differ from SHA256SUMS", value=rel))
    for path in sorted(out_dir.rglob("*")):
        rel = path.relative_to(out_dir).as_posix()
        if path.is_file() and published(rel.split("/")[0]) and rel not in listed and rel not in ("SHA256SUMS", DUCKDB_NAME):
            issues.append(Issue(str(sums), "checksum_unlisted", "a file of the build that SHA256SUMS does not list", value=rel))
    return issues


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
