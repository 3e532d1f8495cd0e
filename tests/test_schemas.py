"""Everything derived from schemas/ agrees with it; drift between code, schemas and docs fails here."""

from __future__ import annotations

import json

import pytest

from pipeline.publish import root_datapackage
from pipeline.schemas import load_tables, to_arrow, to_duckdb_ddl, to_pandera, to_table_schema
from tests.conftest import ROOT

TABLES = list(load_tables().values())


def test_root_datapackage_is_generated_from_schemas():
    committed = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert committed == root_datapackage(), "run `python -m pipeline datapackage` and commit datapackage.json"


def test_generated_docs_are_current():
    from pipeline.docs import render_docs
    from pipeline.reference import load_reference

    for path, text in render_docs(load_reference()).items():
        assert path.read_text(encoding="utf-8") == text, f"run `python -m pipeline docs` ({path.name} is stale)"


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_derivation_has_the_declared_columns(table):
    assert list(to_pandera(table).columns) == table.columns
    assert to_arrow(table).names == table.columns
    assert [f["name"] for f in to_table_schema(table)["fields"]] == table.columns
    ddl = to_duckdb_ddl(table)
    for column in table.columns:
        assert f'"{column}"' in ddl
    assert f"PRIMARY KEY ({', '.join(table.primary_key)})" in ddl


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_column_is_described_and_keys_exist(table):
    for f in table.fields:
        assert f.description.strip(), f"{table.name}.{f.name} has no description"
        assert f.type in {"string", "integer", "boolean", "date"}
    for column in table.primary_key:
        assert column in table.columns
    tables = load_tables()
    for fk in table.foreign_keys:
        assert set(fk.fields) <= set(table.columns)
        assert list(fk.reference_fields) == list(tables[fk.resource].primary_key)


def test_tables_are_in_load_order():
    seen = set()
    for table in TABLES:
        for fk in table.foreign_keys:
            assert fk.resource in seen | {table.name}, f"{table.name} is listed before {fk.resource}"
        seen.add(table.name)


def test_contract_columns_exist():
    contract = {
        "sources": ["source_id", "path", "sha256", "title", "license", "n_chars"],
        "meetings": ["meeting_id", "body", "ordinal", "city", "country_code", "is_virtual", "start_date",
                     "end_date", "year", "date_precision", "label"],
        "documents": ["document_id", "title", "doc_type", "meeting_id", "date", "year", "status"],
        "document_signatories": ["document_id", "country_code"],
        "statements": ["statement_id", "text", "kind", "speaker", "meeting_id", "document_id", "source_id",
                       "char_start", "char_end", "is_truncated"],
        "themes": ["theme_id", "label", "description", "parent_theme_id"],
        "statement_themes": ["statement_id", "theme_id", "matched_terms"],
        "evidence": ["table_name", "record_id", "field", "value", "source_id", "char_start", "char_end", "basis",
                     "rule_id"],
    }
    tables = load_tables()
    for name, columns in contract.items():
        assert set(columns) <= set(tables[name].columns), name


def test_repeated_keys_are_found_as_sorted_neighbours_and_conform_names_every_row():
    import pyarrow as pa

    from pipeline.errors import PipelineError
    from pipeline.schemas import conform, load_tables, repeated_key_rows

    keys = pa.table({"a": ["x", "y", "x", None, None, "x"], "b": [1, 1, 1, 2, 2, 2]})
    assert repeated_key_rows(keys) == [2]  # (x, 1) again; nulls never repeat; (x, 2) once
    assert repeated_key_rows(keys.select(["a"])) == [2, 5]
    themes = load_tables()["themes"]
    row = {"theme_id": "t", "label": "T", "description": "d", "parent_theme_id": None, "signal_terms": "t"}
    with pytest.raises(PipelineError) as raised:
        conform([row, {**row, "theme_id": "u"}, row], themes)
    assert [(i.where, i.rule) for i in raised.value.issues] == [
        ("table themes row 0", "primary_key_duplicate"), ("table themes row 2", "primary_key_duplicate")]


@pytest.mark.parametrize("start_date", ["2010-06-10", "2010-02-30"])
def test_columns_put_in_order_by_threads_are_those_put_in_order_one_by_one(monkeypatch, start_date):
    import pipeline.schemas as schemas
    from pipeline.errors import PipelineError

    meetings = schemas.load_tables()["meetings"]
    rows = [{"meeting_id": f"m{i % 7}-{i}", "body": "heads_of_state", "year": 2000 + i % 20, "is_virtual": i % 2 == 0,
             "start_date": start_date, "date_precision": "day", "label": f"meeting {i}"} for i in range(50, 0, -1)]
    monkeypatch.setattr(schemas, "THREADED_ROWS", 0)  # threads for a table of any size
    outcomes = []
    for threads in (1, 2):
        try:
            outcomes.append(schemas.conform(list(rows), meetings, threads))
        except PipelineError as err:  # an impossible date: the same failure, naming the same column
            outcomes.append([(i.rule, i.field) for i in err.issues])
    assert outcomes[0] == outcomes[1]
