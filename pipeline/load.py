"""Typed loading of a built folder: every table as pandas with Arrow dtypes (dates as dates, nullable
whole numbers as whole numbers), read from the Parquet copies, which carry the schema's types; or an
in-memory DuckDB connection with a view per table over those files."""

from __future__ import annotations

from pathlib import Path

from pipeline.paths import BUILD_DIR


def load(build_dir: Path | str = BUILD_DIR, tables: list[str] | None = None) -> dict:
    """{table name: DataFrame} for the named tables (default: all), with the schema's types:

    >>> from pipeline.load import load
    >>> statements = load("build", ["statements"])["statements"]
    """
    import pandas as pd
    import pyarrow.parquet as pq

    from pipeline.schemas import load_tables

    names = tables or list(load_tables())
    return {name: pq.read_table(Path(build_dir) / "parquet" / f"{name}.parquet").to_pandas(types_mapper=pd.ArrowDtype)
            for name in names}


def connect(build_dir: Path | str = BUILD_DIR, tables: list[str] | None = None):
    """An in-memory DuckDB connection with a view per named table (default: all) over the build's Parquet
    files: SQL on a build (or a bundle) without its database file. Close it when done."""
    import duckdb

    from pipeline.schemas import load_tables

    con = duckdb.connect()
    for name in tables or list(load_tables()):
        path = (Path(build_dir) / "parquet" / f"{name}.parquet").as_posix().replace("'", "''")
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    return con
