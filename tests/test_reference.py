"""The curated reference data is well-formed: codes are real, words are words, rules are declared."""

from __future__ import annotations

import re

import pycountry
import pytest
import yaml

from pipeline.reference import load_reference
from tests.conftest import ROOT

REF = load_reference()


def _strings(node, path="lexicon"):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v, path)
    else:
        yield path, node


def test_lexicon_words_are_strings():
    # YAML reads bare on/off/yes/no as booleans: quote them
    raw = yaml.safe_load((ROOT / "reference" / "lexicon.yaml").read_text(encoding="utf-8"))
    for path, value in _strings(raw):
        if path.endswith(".generic") or path.startswith("lexicon.ordinal_words") or path.endswith("min_statement_words"):
            continue
        assert isinstance(value, str), f"{path}: {value!r} is not a string"


def test_lexicon_patterns_compile():
    for path, value in _strings(REF.lexicon):
        if isinstance(value, str):
            re.compile(value)


@pytest.mark.parametrize("code", sorted({c for _, c in REF.cities.values()} | set(REF.states.values())
                                        | {e.country_code for e in REF.chronology}))
def test_country_codes_are_iso3166_alpha3(code):
    assert pycountry.countries.get(alpha_3=code) is not None


def test_chronology_is_consistent():
    keys = set()
    for e in REF.chronology:
        assert e.start_date <= e.end_date
        assert e.start_date.year == e.year
        assert (e.body, e.ordinal) not in keys
        keys.add((e.body, e.ordinal))
        assert e.source_urls.strip(), "every chronology row cites a source"
        if e.city:
            assert e.city.lower() in REF.cities, f"{e.city} is missing from reference/cities.csv"


def test_theme_vocabulary():
    ids = [t.theme_id for t in REF.themes]
    assert len(ids) == len(set(ids))
    assert {"terrorism", "separatism", "extremism", "cybercrime", "information_security", "science_technology"} <= set(ids)
    for t in REF.themes:
        assert t.description and t.terms
        assert t.parent_theme_id in (None, *ids)


def test_rules_have_a_known_basis_and_are_used_by_code():
    code = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "pipeline").glob("*.py"))
    for rule_id, rule in REF.rules.items():
        assert rule["basis"] in {"stated", "inferred", "reference"}
        assert rule["description"].strip()
        assert f'"{rule_id}"' in code, f"rule {rule_id} is declared but no code produces it"
