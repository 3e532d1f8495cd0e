"""Typed loading of a built folder: every table as pandas with Arrow dtypes (dates as dates, nullable
whole numbers as whole numbers), read from the Parquet copies, which carry the schema's types."""

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
