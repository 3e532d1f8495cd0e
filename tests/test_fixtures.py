"""Named fixture corpora with golden tables: cases the shared corpus lacks.

Each folder of tests/fixtures/ is a raw folder; expected.json holds the tables it must give
(projected on the columns that matter) and the warnings it must raise. Regenerate goldens
only on purpose, after reading the diff: `python -m tests.test_fixtures NAME`.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file())
MEETING_COLUMNS = ["meeting_id", "body", "ordinal", "city", "country_code", "is_virtual", "start_date", "end_date",
                   "year", "date_precision"]
DOCUMENT_COLUMNS = ["title", "doc_type", "meeting_id", "date", "year", "status"]
STATEMENT_COLUMNS = ["text", "kind", "speaker", "meeting_id", "document_title", "source_id", "is_truncated", "themes"]


def _rows(out: Path, table: str) -> list[dict]:
    with open(out / "csv" / f"{table}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def observed(out: Path) -> dict:
    """The tables of a build, projected on the columns the goldens state."""
    titles = {d["document_id"]: d["title"] for d in _rows(out, "documents")}
    themes: dict[str, list[str]] = {}
    for link in _rows(out, "statement_themes"):
        themes.setdefault(link["statement_id"], []).append(link["theme_id"])
    statements = []
    for s in _rows(out, "statements"):
        s = dict(s, document_title=titles.get(s["document_id"], ""), themes=sorted(themes.get(s["statement_id"], [])))
        statements.append({c: s[c] for c in STATEMENT_COLUMNS})
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {
        "meetings": [{c: m[c] for c in MEETING_COLUMNS} for m in _rows(out, "meetings")],
        "documents": sorted(({c: d[c] for c in DOCUMENT_COLUMNS} for d in _rows(out, "documents")),
                            key=lambda d: d["title"]),
        "statements": sorted(statements, key=lambda s: (s["source_id"], s["text"])),
        "warnings": sorted({w["rule"] for w in report["warnings"]}),
    }


def _build(name: str, out: Path) -> None:
    """Build a fixture's sources (its folder without expected.json, which a build would warn of as unread)."""
    raw = out.parent / f"{name}-raw"
    shutil.copytree(FIXTURES / name, raw, ignore=shutil.ignore_patterns("expected.json"))
    result = run_cli("build", "--raw", str(raw), "--out", str(out), "-q")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_fixture(name, tmp_path):
    _build(name, tmp_path / "out")
    expected = json.loads((FIXTURES / name / "expected.json").read_text(encoding="utf-8"))
    got = observed(tmp_path / "out")
    for key in ("meetings", "documents", "statements", "warnings"):
        assert got[key] == expected[key], key


def test_there_are_enough_fixtures():
    assert len(NAMES) >= 5


if __name__ == "__main__":  # regenerate the goldens of the named fixtures
    import tempfile

    for fixture in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as tmp:
            _build(fixture, Path(tmp) / "out")
            data = json.dumps(observed(Path(tmp) / "out"), indent=1, ensure_ascii=False) + "\n"
        (FIXTURES / fixture / "expected.json").write_text(data, encoding="utf-8")
        print(f"wrote tests/fixtures/{fixture}/expected.json")
