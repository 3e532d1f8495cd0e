"""Every path the pipeline knows, spelled once."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW_DIR = ROOT / "raw"
BUILD_DIR = ROOT / "build"
SCHEMAS_DIR = ROOT / "schemas"
REFERENCE_DIR = ROOT / "reference"
ROOT_DATAPACKAGE = ROOT / "datapackage.json"
MANIFEST_NAME = "manifest.csv"
DUCKDB_NAME = "sco_statements.duckdb"
