"""Column facts declared once in schemas/*.yaml, and everything derived from them.

pandera schemas, Arrow schemas, DuckDB DDL, Table Schema descriptors and the data
dictionary all come from the same declaration, so they cannot drift apart.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.paths import SCHEMAS_DIR

# How each declared type maps to each target. The one place types are spelled.
PANDAS_DTYPES = {"string": "string", "integer": "Int64", "boolean": "boolean", "date": "string"}
DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "boolean": "BOOLEAN", "date": "DATE"}
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class Field:
    """One column: name, type, constraints and meaning."""

    name: str
    type: str
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class ForeignKey:
    """Columns of this table that point to a parent table's key."""

    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table's declaration."""

    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    @property
    def columns(self) -> list[str]:
        """Column names in schema order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        """The declaration of one column."""
        return next(f for f in self.fields if f.name == name)


def load_package(schemas_dir: Path = SCHEMAS_DIR) -> dict:
    """Package-level metadata (schemas/package.yaml)."""
    return _load_package(str(schemas_dir))


def load_tables(schemas_dir: Path = SCHEMAS_DIR) -> dict[str, Table]:
    """Every table declaration, in load order (parents before children)."""
    return _load_tables(str(schemas_dir))


@functools.lru_cache(maxsize=None)
def _load_package(schemas_dir: str) -> dict:
    with open(Path(schemas_dir) / "package.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.lru_cache(maxsize=None)
def _load_tables(schemas_dir: str) -> dict[str, Table]:
    order = _load_package(schemas_dir)["tables"]
    tables = {}
    for name in order:
        with open(Path(schemas_dir) / f"{name}.yaml", encoding="utf-8") as f:
            raw = yaml.safe_load(f)
        fields = tuple(
            Field(
                name=fd["name"], type=fd["type"], description=fd["description"],
                required=bool(fd.get("required", False)),
                enum=tuple(fd["enum"]) if fd.get("enum") else None,
                pattern=fd.get("pattern"), minimum=fd.get("minimum"), maximum=fd.get("maximum"),
            )
            for fd in raw["fields"]
        )
        fks = tuple(
            ForeignKey(tuple(fk["fields"]), fk["reference"]["resource"], tuple(fk["reference"]["fields"]))
            for fk in raw.get("foreign_keys", [])
        )
        tables[name] = Table(raw["name"], raw["title"], raw["description"], fields,
                             tuple(raw["primary_key"]), fks)
        if raw["name"] != name:
            raise ValueError(f"schemas/{name}.yaml declares table {raw['name']!r}; the file name must equal it")
    return tables


def load_views(schemas_dir: Path = SCHEMAS_DIR) -> list[tuple[str, str, str]]:
    """(name, description, CREATE VIEW statement) for each view in schemas/views.sql."""
    text = (Path(schemas_dir) / "views.sql").read_text(encoding="utf-8")
    views = []
    for block in re.split(r"^-- view: ", text, flags=re.M)[1:]:
        header, _, sql = block.partition("\n")
        name, _, description = header.partition(": ")
        views.append((name.strip(), description.strip(), sql.strip().rstrip(";")))
    return views


# --- pandera -----------------------------------------------------------------------------

def to_pandera(table: Table, unique: bool = True):
    """A lazy-validating pandera schema for one table (cross-table checks live in validate); without
    the primary key's uniqueness when `unique` is false (for a table checked in batches of rows)."""
    import pandera.pandas as pa

    columns = {}
    for f in table.fields:
        checks = []
        if f.enum:
            checks.append(pa.Check.isin(list(f.enum), name="enum"))
        if f.pattern:
            checks.append(pa.Check.str_matches(f.pattern, name="pattern"))
        if f.type == "date":
            checks.append(pa.Check.str_matches(ISO_DATE, name="iso_date"))
            checks.append(pa.Check(_is_real_date, element_wise=True, name="real_date"))
        if f.minimum is not None:
            checks.append(pa.Check.ge(f.minimum, name="minimum"))
        if f.maximum is not None:
            checks.append(pa.Check.le(f.maximum, name="maximum"))
        columns[f.name] = pa.Column(PANDAS_DTYPES[f.type], checks=checks, nullable=not f.required,
                                    description=f.description)
    return pa.DataFrameSchema(columns, strict=True, ordered=True, unique=list(table.primary_key) if unique else None,
                              name=table.name, report_duplicates="all")


def _is_real_date(value) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


# --- Arrow -------------------------------------------------------------------------------

def to_arrow(table: Table, plain: bool = False):
    """The Arrow schema of one table, with column descriptions in field metadata.

    `plain` is the schema rows are built in before conform: code lists as strings, dates as ISO strings.
    """
    import pyarrow as pa

    types = {"string": pa.string(), "integer": pa.int64(), "boolean": pa.bool_(),
             "date": pa.string() if plain else pa.date32()}
    fields = []
    for f in table.fields:
        arrow_type = pa.dictionary(pa.int32(), pa.string()) if f.enum and not plain else types[f.type]
        fields.append(pa.field(f.name, arrow_type, nullable=not f.required,
                               metadata={"description": f.description}))
    return pa.schema(fields, metadata={"table": table.name, "description": table.description})


# --- DuckDB ------------------------------------------------------------------------------

def to_duckdb_ddl(table: Table) -> str:
    """CREATE TABLE with NOT NULL, CHECK on code lists and ranges, PRIMARY KEY and FOREIGN KEY."""
    lines = []
    for f in table.fields:
        col = f'"{f.name}" {DUCKDB_TYPES[f.type]}'
        if f.required:
            col += " NOT NULL"
        checks = []
        if f.enum:
            checks.append(f'"{f.name}" IN ({", ".join(_sql_str(v) for v in f.enum)})')
        if f.pattern:
            checks.append(f'regexp_full_match("{f.name}", {_sql_str(f.pattern.strip("^$"))})')
        if f.minimum is not None:
            checks.append(f'"{f.name}" >= {f.minimum}')
        if f.maximum is not None:
            checks.append(f'"{f.name}" <= {f.maximum}')
        if checks:
            col += " CHECK (" + " AND ".join(checks) + ")"
        lines.append(col)
    lines.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
    for fk in table.foreign_keys:
        lines.append(f"FOREIGN KEY ({', '.join(fk.fields)}) REFERENCES {fk.resource} ({', '.join(fk.reference_fields)})")
    return f"CREATE TABLE {table.name} (\n  " + ",\n  ".join(lines) + "\n)"


def _sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


# --- Frictionless Table Schema / Data Package ---------------------------------------------

def to_table_schema(table: Table, with_foreign_keys: bool = True) -> dict:
    """A Table Schema descriptor (frictionless) for one table."""
    fields = []
    for f in table.fields:
        fd: dict = {"name": f.name, "type": f.type, "description": f.description}
        constraints: dict = {}
        if f.required:
            constraints["required"] = True
        if f.enum:
            constraints["enum"] = list(f.enum)
        if f.pattern:
            constraints["pattern"] = f.pattern.strip("^$")
        if f.minimum is not None:
            constraints["minimum"] = f.minimum
        if f.maximum is not None:
            constraints["maximum"] = f.maximum
        if constraints:
            fd["constraints"] = constraints
        fields.append(fd)
    schema: dict = {"fields": fields, "missingValues": [""], "primaryKey": list(table.primary_key)}
    if with_foreign_keys and table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(fk.fields),
             "reference": ({"fields": list(fk.reference_fields)} if fk.resource == table.name
                           else {"resource": fk.resource, "fields": list(fk.reference_fields)})}
            for fk in table.foreign_keys
        ]
    return schema


def to_datapackage(version: str, created: str, csv_dir: str = "csv", parquet_dir: str = "parquet",
                   files: dict[str, tuple[int, str]] | None = None, schemas_dir: Path = SCHEMAS_DIR,
                   sources: list[dict] | None = None) -> dict:
    """The datapackage.json descriptor (Data Package v2): CSV resources are canonical, with keys;
    Parquet copies are described as separate resources sharing the schemas, without keys.

    `files` maps a relative path to (bytes, sha256 hex) when the package describes a real build.
    """
    meta = load_package(schemas_dir)
    resources = []
    for copy, folder, fmt in (("csv", csv_dir, "csv"), ("parquet", parquet_dir, "parquet")):
        for table in load_tables(schemas_dir).values():
            path = f"{folder}/{table.name}.{fmt}"
            res: dict = {
                "name": table.name if copy == "csv" else f"{table.name}_parquet",
                "type": "table",
                "title": table.title + ("" if copy == "csv" else " (Parquet copy)"),
                "description": table.description,
                "path": path,
                "scheme": "file",
                "format": fmt,
                "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
            }
            if fmt == "csv":
                res["encoding"] = "utf-8"
                res["dialect"] = {"$schema": "https://datapackage.org/profiles/2.0/tabledialect.json",
                                  "header": True, "delimiter": ",", "quoteChar": '"'}
            if files and path in files:
                size, digest = files[path]
                if fmt == "csv":
                    res["bytes"], res["hash"] = size, f"sha256:{digest}"
                else:
                    # frictionless cannot count a Parquet file's bytes (it reads it through pandas) and
                    # fails a declared `bytes`/`hash`; the same facts go under names it does not check
                    res["parquet_bytes"], res["parquet_sha256"] = size, digest
            res["schema"] = to_table_schema(table, with_foreign_keys=(copy == "csv"))
            resources.append(res)
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": meta["name"],
        "title": meta["title"],
        "description": " ".join(meta["description"].split()),
        "version": version,
        "created": created,
        "keywords": meta["keywords"],
        "licenses": meta["licenses"],
        "contributors": meta["contributors"],
        "sources": list(meta["sources"]) + list(sources or []),
        "resources": resources,
    }


# --- conform: the one way a table leaves its stage ----------------------------------------

THREADED_ROWS = 100_000  # a table this large has its columns put in order by several threads (see conform)


def conform(data, table: Table, threads: int = 1):
    """An Arrow table in schema column order and types, sorted by primary key, from a list of row
    dicts or an Arrow table with the same column names; the columns of a large table are put in
    order by `threads` threads (each holds one column in two copies meanwhile).

    Fails loudly, naming the table, on an unknown column, a null or a duplicate primary key.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from pipeline.errors import Issue, PipelineError
    from pipeline.runtime import release_memory

    plain = to_arrow(table, plain=True)
    if isinstance(data, list):
        unknown = sorted({k for r in data for k in r} - set(table.columns))
    else:
        unknown = sorted(set(data.column_names) - set(table.columns))
    issues = [Issue(f"table {table.name}", "unknown_column", f"column {c!r} is not in schemas/{table.name}.yaml")
              for c in unknown]
    if issues:
        raise PipelineError("conform", issues)
    if isinstance(data, list):
        arrow = pa.Table.from_pylist(data, schema=plain)
    else:
        arrow = pa.Table.from_arrays([data[c].cast(plain.field(c).type) if c in data.column_names
                                      else pa.nulls(data.num_rows, plain.field(c).type) for c in table.columns],
                                     schema=plain)
    pk = list(table.primary_key)
    null_pk = functools.reduce(pc.or_, [pc.is_null(arrow[c]) for c in pk])  # any number of key columns
    for i in pc.indices_nonzero(null_pk).to_pylist():
        issues.append(Issue(f"table {table.name} row {i}", "primary_key_null", "primary key is empty", table=table.name))
    order = pc.sort_indices(arrow, sort_keys=[(c, "ascending") for c in pk])
    if repeated_key_rows(arrow.select(pk), order):  # rare: name every row of every duplicated key
        counts = arrow.select(pk).group_by(pk, use_threads=False).aggregate([([], "count_all")])
        dup_keys = counts.filter(pc.greater(counts["count_all"], 1)).select(pk).to_pylist()
        dup_keys = {tuple(k[c] for c in pk) for k in dup_keys if all(k[c] is not None for c in pk)}
        for i, key_values in enumerate(zip(*(arrow[c].to_pylist() for c in pk))):
            if key_values in dup_keys:
                issues.append(Issue(f"table {table.name} row {i}", "primary_key_duplicate", "primary key is not unique",
                                    table=table.name, value="|".join(str(v) for v in key_values)))
    if issues:
        raise PipelineError("conform", sorted(issues, key=lambda x: int(x.where.rsplit(" ", 1)[1])))
    unsorted = {c: arrow[c] for c in table.columns}
    rows = arrow.num_rows
    del arrow, data  # sorted a column at a time, each unsorted column freed as it goes: never two copies
    final = to_arrow(table)

    def in_order(f: Field, arrow_field):
        col = unsorted.pop(f.name).take(order)
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        release_memory()  # the unsorted column just freed, before the next is copied
        if pa.types.is_dictionary(arrow_field.type):
            col = pc.dictionary_encode(col)
        elif f.type == "date":
            try:
                col = col.cast(pa.date32())
            except pa.ArrowInvalid as err:
                raise PipelineError("conform", [Issue(f"table {table.name}", "invalid_date", str(err).splitlines()[0],
                                                      table=table.name, field=f.name)]) from None
        return col

    if threads > 1 and rows >= THREADED_ROWS:  # Arrow lets go of the GIL: the columns are taken side by side
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            columns = list(pool.map(in_order, table.fields, final))  # a failure: the first column's in order
    else:
        columns = [in_order(f, arrow_field) for f, arrow_field in zip(table.fields, final)]
    return pa.Table.from_arrays(columns, schema=final)


def repeated_key_rows(keys, order=None) -> list[int]:
    """Rows whose (non-null) key an earlier row has, in row order. Sorted (stably) by key, such rows
    are the neighbours of the rows with the same key, so one comparison per row finds them, with no
    hash table of every key; `order` is the sort when the caller already has it."""
    import pyarrow.compute as pc

    if keys.num_rows < 2:
        return []
    if order is None:
        order = pc.sort_indices(keys, sort_keys=[(c, "ascending") for c in keys.column_names])
    ranked = keys.take(order)
    same = functools.reduce(pc.and_, [pc.equal(ranked[c].slice(1), ranked[c].slice(0, keys.num_rows - 1))
                                      for c in keys.column_names])
    return sorted(order[i + 1].as_py() for i in pc.indices_nonzero(same).to_pylist())


def to_frame(arrow, table: Table, columns: list[str] | None = None):
    """The pandas view of a conformed table (or of those of its columns), in the dtypes pandera checks
    (dates as ISO strings)."""
    import pandas as pd
    import pyarrow as pa

    schema = to_arrow(table, plain=True)
    if columns is not None:
        schema = pa.schema([schema.field(c) for c in columns])
    plain = arrow.cast(schema) if arrow.num_rows else schema.empty_table()
    dtypes = {pa.string(): pd.StringDtype("pyarrow"), pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return plain.to_pandas(types_mapper=dtypes.get)
