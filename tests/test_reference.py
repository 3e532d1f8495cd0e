"""The curated reference data is well-formed: codes are real, words are words, rules are declared."""

from __future__ import annotations

import re

import pycountry
import pytest
import yaml

from pipeline.matcher import matcher_for
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
        if path.endswith(".generic") or path.startswith(("lexicon.ordinal_words", "lexicon.months")) or path.endswith("min_statement_words"):
            continue
        assert isinstance(value, str), f"{path}: {value!r} is not a string"


def test_lexicon_patterns_compile():
    for path, value in _strings(REF.lexicon.model_dump()):
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


@pytest.mark.parametrize("theme, pattern", [(t, p) for t in REF.themes for p in t.patterns],
                         ids=lambda x: getattr(x, "theme_id", None) or getattr(x, "needle", ""))
def test_a_theme_pattern_matches_its_example_and_holds_its_needle(theme, pattern):
    found = re.search(pattern.pattern, pattern.example, re.I)
    assert found and pattern.needle in found.group(0).lower()
    assert theme in [t for t, found in matcher_for(REF).scan(pattern.example).each("themes") if found]


def _copy_reference(tmp_path):
    import shutil

    folder = tmp_path / "reference"
    shutil.copytree(ROOT / "reference", folder)
    return folder


@pytest.mark.parametrize("edit, message", [
    pytest.param(("meeting_nouns:", "meeting_noun:"), "meeting_noun", id="misspelt-key"),
    pytest.param(("min_statement_words: 4", "min_statement_words: four"), "min_statement_words", id="wrong-type"),
    pytest.param(("  adopted: [adopted,", "  adoptd: [adopted,"), "adoptd", id="unknown-status-code"),
    pytest.param(("doc_type: declaration,", "doc_type: declarations,"), "declarations", id="unknown-doc-type"),
])
def test_a_lexicon_that_does_not_fit_its_types_fails_at_load(tmp_path, edit, message):
    from pipeline.lexicon import VocabularyError, load_vocabulary

    folder = _copy_reference(tmp_path)
    path = folder / "lexicon.yaml"
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(VocabularyError, match=message):
        load_vocabulary(folder)


def test_every_enum_of_the_schemas_is_a_code_list():
    """Each enum column holds exactly the codes of the list in reference/codes.yaml that names it, in order."""
    from pipeline.schemas import load_tables

    lists = {column: codes.values for _, codes in REF.codes for column in codes.columns}
    tables = load_tables()
    for table in tables.values():
        for f in table.fields:
            name = f"{table.name}.{f.name}"
            if name == "evidence.table_name":  # the tables, not a code list
                assert set(f.enum) <= set(tables), name
            elif f.enum:
                assert name in lists, f"{name} has an enum but no code list in reference/codes.yaml"
                assert tuple(f.enum) == lists.pop(name), name
    assert not lists, f"code lists name columns with no enum: {sorted(lists)}"


def test_rules_have_a_known_basis_and_are_applied_by_code_that_never_spells_them():
    code = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "pipeline").glob("*.py"))
    used = set(re.findall(r'\.(?:one|choose|rules_of)\("(\w+)"', code))
    declared = {action for rule in REF.rules.values() for action in rule.actions}
    assert used == declared, f"actions in code but in no rule: {sorted(used - declared)}; in rules but not in code: {sorted(declared - used)}"
    for rule_id, rule in REF.rules.items():
        assert rule.basis in REF.codes.bases.values
        assert rule.description.strip()
        assert f'"{rule_id}"' not in code, f"rule {rule_id} is spelt in pipeline code; name its action instead"
        for fact in {name.removeprefix("not ") for alt in rule.when for name in alt}:
            assert f'"{fact}"' in code, f"rule {rule_id} asks for the fact {fact}, which no code gives"


def test_a_rule_that_yields_to_an_unknown_rule_fails_at_load(tmp_path):
    from pipeline.lexicon import VocabularyError, load_rules

    folder = _copy_reference(tmp_path)
    path = folder / "rules" / "documents.yaml"
    text = path.read_text(encoding="utf-8")
    assert "yields_to: [doc_year_from_meeting]" in text
    path.write_text(text.replace("yields_to: [doc_year_from_meeting]", "yields_to: [doc_year_from_meting]"), encoding="utf-8")
    with pytest.raises(VocabularyError, match="doc_year_from_meting"):
        load_rules(sorted((folder / "rules").glob("*.yaml")), REF.codes)


def _problems_raised() -> set[str]:
    """The code of every Issue(where, code, ...) made in pipeline/ (a family's prefix for f"schema:{x}")."""
    import ast

    raised = set()
    for path in sorted((ROOT / "pipeline").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Issue" and len(node.args) > 1:
                code = node.args[1]
                if isinstance(code, ast.JoinedStr):
                    code = code.values[0]
                if isinstance(code, ast.Constant):
                    raised.add(code.value.split(":")[0])
    return raised


def test_every_problem_the_pipeline_raises_is_declared_and_every_declared_one_is_raised():
    raised, declared = _problems_raised(), set(REF.codes.problems.values)
    assert raised - declared == set(), "raised in pipeline/ but not declared in reference/codes.yaml problems"
    assert declared - raised == set(), "declared in reference/codes.yaml problems but raised nowhere"


def test_the_build_names_its_stages_as_the_code_list_does():
    """Progress lines, timings and failed stages use the names of reference/codes.yaml's stages."""
    import ast

    stages, named = set(REF.codes.stages.values), set()
    for path in sorted((ROOT / "pipeline").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            if name == "PipelineError" and path.name != "release.py" or (path.name == "build.py" and (
                    getattr(func, "id", None) == "clock" or (name == "say" and getattr(func.value, "id", None) == "clock"))):
                named.add(node.args[0].value)
    assert named and named <= stages, named - stages
    assert [line.split("`")[1] for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
            if line[:1].isdigit() and ". `" in line[:6]] == list(REF.codes.stages.values)
