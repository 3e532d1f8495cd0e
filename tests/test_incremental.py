"""Incremental builds: nothing changed does nothing; one changed source is the only one re-extracted;
the cache and the process pool never change a byte of the output."""

from __future__ import annotations

import shutil

from pipeline.build import build
from tests.conftest import ROOT
from tests.test_fixtures import FIXTURES

COMPARED = ("csv", "parquet", "texts")


def _bytes(out):
    files = {p.relative_to(out): p.read_bytes() for part in COMPARED for p in sorted((out / part).rglob("*")) if p.is_file()}
    return files | {"datapackage.json": (out / "datapackage.json").read_bytes()}


def test_nothing_changed_does_nothing_and_one_change_re_extracts_one(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "two_sources", raw)
    (raw / "expected.json").unlink()
    out = tmp_path / "out"
    first = build(raw, out, workers=1)
    assert first.extracted == 2 and not first.up_to_date
    again = build(raw, out, workers=1)
    assert again.up_to_date and again.extracted == 0
    (raw / "b_digest.txt").write_text("The Council of Heads of State met in Qingdao on 9 June 2018.\n", encoding="utf-8")
    third = build(raw, out, workers=1)
    assert not third.up_to_date and third.extracted == 1
    cache = tmp_path / ".out.cache"
    assert len(list(cache.glob("*.json"))) == 2, "the changed source's old entry is pruned"
    (raw / "b_digest.txt").unlink()
    build(raw, out, workers=1)
    assert len(list(cache.glob("*.json"))) == 1, "a removed source's entry is pruned"


def test_cache_and_workers_give_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr("pipeline.resolve.EVIDENCE_SHARED_FROM", 0)  # records' evidence shared with a child too
    raw = tmp_path / "raw"
    raw.mkdir()
    for fixture in ("mixed_phrasings", "nested_and_anniversary", "seed_like_traps"):
        for txt in (FIXTURES / fixture).glob("*.txt"):
            shutil.copy(txt, raw / f"{fixture}_{txt.name}")
    shutil.copy(ROOT / "raw" / "000_04de7d46aee2b092.txt", raw)
    plain = build(raw, tmp_path / "plain", workers=1, use_cache=False).out_dir
    pooled = build(raw, tmp_path / "pooled", workers=2).out_dir
    pooled_bytes = _bytes(pooled)
    (pooled / "report.json").unlink()  # no longer up to date: rebuilt, every source from the cache
    cached = build(raw, pooled, workers=2)
    assert cached.extracted == 0 and not cached.up_to_date
    assert _bytes(plain) == pooled_bytes == _bytes(cached.out_dir)


def test_a_rebuild_keeps_the_benchmark_folder(tmp_path):
    out = tmp_path / "out"
    build(ROOT / "raw", out, workers=1)
    (out / "bench").mkdir()
    (out / "bench" / "report.json").write_text("{}", encoding="utf-8")
    build(ROOT / "raw", out, workers=1, use_cache=False)
    assert (out / "bench" / "report.json").read_text(encoding="utf-8") == "{}"
    assert "bench/" not in (out / "SHA256SUMS").read_text(encoding="utf-8")
