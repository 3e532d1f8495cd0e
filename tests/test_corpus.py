"""Extraction quality on the shared corpus: each text built on its own and scored against its gold."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import SHARED, run_cli

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


def _score(text, tmp_path) -> dict:
    """Build one text on its own and score it against its gold file."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / text.name).write_bytes(text.read_bytes())
    result = run_cli("build", "--raw", str(raw), "--out", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr
    gold = SHARED / "corpus" / "gold" / f"{text.stem}.json"
    scored = subprocess.run([sys.executable, str(SHARED / "tools" / "score.py"), str(tmp_path / "out"), str(gold),
                             "--json"], capture_output=True, text=True, check=True)
    return json.loads(scored.stdout[:scored.stdout.rindex("}") + 1])


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
