"""The SCO statements dataset pipeline: raw text -> validated tables -> CSV, Parquet, DuckDB."""

__version__ = "0.1.0"
