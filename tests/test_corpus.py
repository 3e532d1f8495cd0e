"""Extraction quality on the shared corpus: each text built on its own and scored against its gold."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT, SHARED, run_cli

TEXTS = sorted((SHARED / "seed").glob("*.txt")) + sorted((SHARED / "corpus" / "dev").glob("*.txt"))
# Targets: the seed exactly; development texts at issue #3's floor.
FLOOR = {"000_04de7d46aee2b092": 1.0}
DEFAULT_FLOOR = 0.95
REAL = sorted((SHARED / "corpus" / "real").glob("*.txt"))
# The real-genre texts: what they score now, as floors that only rise (issue #18's targets: 0.90 for
# meetings, documents and statements, 0.85 for themes, every link right; see its closing notes).
REAL_FLOORS = {  # meetings, documents, statements, themes, links right, non-statements emitted at most
    "real_2002_stpetersburg_charter": (1.00, 1.00, 1.00, 0.94, 9, 0),
    "real_2006_shanghai_communique": (1.00, 1.00, 1.00, 1.00, 9, 0),
    "real_2013_bishkek_news": (1.00, 1.00, 1.00, 1.00, 9, 0),
    "real_2015_zhengzhou_hgc": (1.00, 1.00, 1.00, 1.00, 6, 0),
    "real_2017_astana_press_release": (1.00, 1.00, 1.00, 1.00, 6, 0),
    "real_2019_bishkek_readout": (1.00, 1.00, 1.00, 1.00, 7, 0),
    "real_2021_dushanbe_cfm": (1.00, 1.00, 1.00, 0.93, 7, 0),
    "real_2023_newdelhi_virtual": (1.00, 1.00, 1.00, 1.00, 14, 0),
}


QUALITY = ROOT / "docs" / "QUALITY.yaml"
QUALITY_HEAD = """\
# Extraction quality measured on the gold-annotated texts of ../shared/corpus (the seed, the development
# texts and the real-genre texts), each built on its own and scored by ../shared/tools/score.py; rows
# pooled over the texts. The data card shows it. Written by `PYTHONPATH=. .venv/bin/python
# tests/test_corpus.py`; a test fails when it differs from what the corpus measures.
"""
SCORED: dict[str, dict] = {}  # each text's report, kept by the tests below for the summary test
pytestmark = pytest.mark.xdist_group("corpus")  # in one worker, so each text is built and scored once


def _score(text, tmp_path) -> dict:
    """Build one text on its own and score it against its gold file (once per process, in whichever test
    asks first)."""
    if text.stem in SCORED:
        return SCORED[text.stem]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / text.name).write_bytes(text.read_bytes())
    result = run_cli("build", "--raw", str(raw), "--out", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr
    gold = SHARED / "corpus" / "gold" / f"{text.stem}.json"
    scored = subprocess.run([sys.executable, str(SHARED / "tools" / "score.py"), str(tmp_path / "out"), str(gold),
                             "--json"], capture_output=True, text=True, check=True)
    report = json.loads(scored.stdout[:scored.stdout.rindex("}") + 1])
    SCORED[text.stem] = report
    return report


def quality(reports: dict[str, dict]) -> dict:
    """Precision and recall per table, rows pooled over the texts (themes: the mean over texts)."""
    tables = {}
    for table in ("meetings", "documents", "statements"):
        found = sum(r[table]["tp"] for r in reports.values())
        false = sum(r[table]["fp"] for r in reports.values())
        missed = sum(len(r[table]["missed"]) for r in reports.values())
        tables[table] = {"precision": round(found / max(found + false, 1), 3), "recall": round(found / max(found + missed, 1), 3),
                         "right": found, "wrong": false, "missed": missed}
    tables["themes"] = {k: round(sum(r["themes"][k] for r in reports.values()) / len(reports), 3) for k in ("precision", "recall")}
    links = {k: sum(r["links"][k] for r in reports.values()) for k in ("ok", "total")}
    fields = {k: sum(r["fields"][k] for r in reports.values()) for k in ("ok", "total")}
    return {"texts": sorted(reports), "tables": tables, "links_right": links["ok"], "links_total": links["total"],
            "fields_right": fields["ok"], "fields_total": fields["total"]}


@pytest.mark.skipif(not REAL, reason="../shared corpus not present")
@pytest.mark.parametrize("text", REAL, ids=lambda p: p.stem)
def test_real_text_keeps_its_floor(text, tmp_path):
    report = _score(text, tmp_path)
    meetings, documents, statements, themes, links, non_statements = REAL_FLOORS[text.stem]
    got = (report["meetings"]["f1"], report["documents"]["f1"], report["statements"]["f1"], report["themes"]["f1"])
    floors = (meetings, documents, statements, themes)
    assert all(g + 0.005 >= f for g, f in zip(got, floors)), (got, floors)  # floors as the scorer prints them
    assert report["links"]["ok"] >= links, report["links"]
    assert report["non_statements_emitted"] <= non_statements


@pytest.mark.skipif(not TEXTS, reason="../shared corpus not present")
@pytest.mark.parametrize("text", TEXTS, ids=lambda p: p.stem)
def test_corpus_text_scores(text, tmp_path):
    report = _score(text, tmp_path)
    floor = FLOOR.get(text.stem, DEFAULT_FLOOR)
    for table in ("meetings", "documents", "statements"):
        assert report[table]["f1"] >= floor, (table, report[table])
    assert report["themes"]["f1"] >= (floor if floor == 1.0 else 0.90), report["themes"]
    assert report["non_statements_emitted"] == 0
    assert report["links"]["ok"] == report["links"]["total"], report["links"]
    assert report["kind"]["ok"] == report["kind"]["total"], report["kind"]
    if floor == 1.0:
        assert report["fields"]["ok"] == report["fields"]["total"], report["fields"]["errors"]


@pytest.mark.skipif(not (TEXTS and REAL), reason="../shared corpus not present")
def test_published_quality_is_what_the_corpus_measures(tmp_path):
    for text in TEXTS + REAL:
        (tmp_path / text.stem).mkdir()
        _score(text, tmp_path / text.stem)
    assert yaml.safe_load(QUALITY.read_text(encoding="utf-8")) == quality(SCORED), "run tests/test_corpus.py to rewrite it"


if __name__ == "__main__":
    import tempfile
    from pathlib import Path

    for text in TEXTS + REAL:
        with tempfile.TemporaryDirectory() as tmp:
            _score(text, Path(tmp))
    QUALITY.write_text(QUALITY_HEAD + yaml.safe_dump(quality(SCORED), sort_keys=False), encoding="utf-8")
