"""The rules' examples as tests: each example's text, read on its own (extraction, the source's rows
and resolution, in this process), gives the values its rule row says, by that rule; and what a rule
gives stays within the columns its row says it fills."""

from __future__ import annotations

import csv

import pytest

from pipeline.extract import extract
from pipeline.ingest import source_from_text
from pipeline.reference import load_reference
from pipeline.resolve import resolve
from pipeline.schemas import load_tables
from pipeline.source_rows import source_rows

REF = load_reference()
MENTION_FIELDS = {"meetings": ("body", "ordinal", "city", "country_code", "year", "is_virtual"),
                  "documents": ("title", "doc_type", "status", "date", "year")}


def given(text: str, published_date: str | None = None) -> set[tuple[str, str, str]]:
    """(rule, table.column, value) for every value the text gives: the evidence rows of a build of it alone,
    a document_id as its document's title, and the values of its mentions (a rule may only shape a mention,
    as "this Convention" does)."""
    source = source_from_text(text, "example", published_date)
    extraction = extract(source, REF)
    resolved = resolve([(source, source_rows(extraction, REF))], None, REF)
    titles = {d["document_id"]: d["title"] for d in resolved.tables["documents"]}
    out = {(e["rule_id"], f"{e['table_name']}.{e['field']}", titles.get(e["value"], e["value"]) if e["field"] == "document_id"
            else e["value"]) for e in resolved.pop("evidence").to_pylist()}
    for table, mentions in (("meetings", extraction.meetings), ("documents", extraction.documents)):
        for m in mentions:
            for name in MENTION_FIELDS[table]:
                v = getattr(m, name)
                if v is not None:
                    out.add((v.rule, f"{table}.{name}", str(v.value).lower() if isinstance(v.value, bool) else str(v.value)))
    return out


EXAMPLES = [pytest.param(rule, example, id=f"{rule.rule_id}-{i}")
            for rule in REF.rules.values() for i, example in enumerate(rule.examples)]


@pytest.mark.parametrize("rule, example", EXAMPLES)
def test_example(rule, example):
    got = given(example.text, example.published_date)
    for column, values in example.gives.items():
        for value in (values,) if isinstance(values, str) else values:
            assert (rule.rule_id, column, value) in got, (column, value, sorted(x for x in got if x[0] == rule.rule_id))
    outside = {column for r, column, _ in got if r == rule.rule_id} - set(rule.fills)
    assert not outside, f"{rule.rule_id} gives {sorted(outside)}, which its row does not say it fills"


def test_every_rule_has_an_example():
    assert [r for r in REF.rules.values() if not r.examples] == []


def test_a_rule_fills_columns_that_exist():
    tables = load_tables()
    for rule in REF.rules.values():
        for column in rule.fills:
            table, _, name = column.partition(".")
            assert table in tables and name in tables[table].columns, (rule.rule_id, column)


def test_the_seed_build_gives_each_rule_only_the_columns_it_fills(seed_build):
    with open(seed_build / "csv" / "evidence.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            assert f"{row['table_name']}.{row['field']}" in REF.rules[row["rule_id"]].fills, row
